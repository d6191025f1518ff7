import Domain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A vehicle's track drawn as a standalone SVG: the route coloured by speed, start and end
/// marked, a scale bar, a legend. Pure text out, the same bytes for the same track.
///
/// Projection: equirectangular around the track's mean latitude (x scaled by its cosine), which
/// is true to a few parts per thousand over the tens of kilometres of a day's driving.
public enum TrackSVG {
    /// Speed bands (km/h) and their colours, slow to fast.
    static let bands: [(upTo: Double, colour: String, label: String)] = [
        (5, "#9e9e9e", "< 5"), (30, "#2e7d32", "5-30"), (60, "#f9a825", "30-60"), (90, "#ef6c00", "60-90"), (.infinity, "#c62828", "> 90"),
    ]

    public static func render(_ track: [PositionRecord], title: String, subtitle: String = "", width: Int = 800, height: Int = 600) -> String {
        let margin = 40.0, header = 50.0, footer = 40.0
        let w = Double(width), h = Double(height)
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(Int(margin))" y="26" font-size="18" fill="#212121">\(HTMLText.escape(title))</text>
            <text x="\(Int(margin))" y="44" font-size="12" fill="#616161">\(HTMLText.escape(subtitle))</text>

            """
        guard let first = track.first else {
            svg += "<text x=\"\(Int(margin))\" y=\"\(Int(header + 40))\" font-size=\"14\" fill=\"#616161\">no positions in this period</text>\n</svg>\n"
            return svg
        }
        // Metres east and north of the track's south-west corner.
        let lats = track.map { Double($0.latitudeE6) / 1e6 }, lons = track.map { Double($0.longitudeE6) / 1e6 }
        let minLat = lats.min()!, maxLat = lats.max()!, minLon = lons.min()!, maxLon = lons.max()!
        let metresPerDegree = 6_371_008.8 * .pi / 180
        let xScale = metresPerDegree * cos((minLat + maxLat) / 2 * .pi / 180)
        let spanX = max((maxLon - minLon) * xScale, 1), spanY = max((maxLat - minLat) * metresPerDegree, 1)
        let drawW = w - 2 * margin, drawH = h - header - footer - margin
        let pixelsPerMetre = min(drawW / spanX, drawH / spanY)
        let offsetX = margin + (drawW - spanX * pixelsPerMetre) / 2, offsetY = header + (drawH - spanY * pixelsPerMetre) / 2
        func point(_ i: Int) -> String {
            let x = offsetX + (lons[i] - minLon) * xScale * pixelsPerMetre
            let y = offsetY + (maxLat - lats[i]) * metresPerDegree * pixelsPerMetre
            return "\(SVGNumber.format(x)),\(SVGNumber.format(y))"
        }
        // One polyline per run of points in the same speed band.
        var i = 0
        while i < track.count - 1 {
            let band = bandIndex(track[i + 1].speed)
            var points = [point(i)]
            var j = i + 1
            while j < track.count, bandIndex(track[j].speed) == band {
                points.append(point(j))
                j += 1
            }
            svg +=
                "<polyline fill=\"none\" stroke=\"\(bands[band].colour)\" stroke-width=\"3\" stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"\(points.joined(separator: " "))\"/>\n"
            i = j - 1
        }
        let start = point(0).split(separator: ","), end = point(track.count - 1).split(separator: ",")
        svg += "<circle cx=\"\(start[0])\" cy=\"\(start[1])\" r=\"6\" fill=\"#1565c0\"><title>start \(first.gnssTime)</title></circle>\n"
        svg +=
            "<rect x=\"\(SVGNumber.format(Double(end[0])! - 5))\" y=\"\(SVGNumber.format(Double(end[1])! - 5))\" width=\"10\" height=\"10\" fill=\"#212121\"><title>end \(track.last!.gnssTime)</title></rect>\n"
        // Scale bar: the largest round length up to a fifth of the drawing.
        let target = drawW / 5 / pixelsPerMetre
        let bar = [10.0, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000].last { $0 <= target } ?? 10
        let barY = h - footer + 10
        svg +=
            "<line x1=\"\(Int(margin))\" y1=\"\(SVGNumber.format(barY))\" x2=\"\(SVGNumber.format(margin + bar * pixelsPerMetre))\" y2=\"\(SVGNumber.format(barY))\" stroke=\"#212121\" stroke-width=\"2\"/>\n"
        svg +=
            "<text x=\"\(Int(margin))\" y=\"\(SVGNumber.format(barY + 16))\" font-size=\"12\">\(bar >= 1000 ? "\(Int(bar / 1000)) km" : "\(Int(bar)) m")</text>\n"
        // Legend.
        var x = w - margin - Double(bands.count) * 70
        for band in bands {
            svg +=
                "<rect x=\"\(SVGNumber.format(x))\" y=\"\(SVGNumber.format(barY - 6))\" width=\"14\" height=\"8\" fill=\"\(band.colour)\"/><text x=\"\(SVGNumber.format(x + 18))\" y=\"\(SVGNumber.format(barY + 2))\" font-size=\"11\">\(HTMLText.escape(band.label))</text>\n"
            x += 70
        }
        svg += "<text x=\"\(SVGNumber.format(w - margin))\" y=\"\(SVGNumber.format(barY + 16))\" font-size=\"11\" text-anchor=\"end\">km/h</text>\n</svg>\n"
        return svg
    }

    static func bandIndex(_ speed: UInt16) -> Int {
        let kmh = Double(speed) / 10
        return bands.firstIndex { kmh < $0.upTo } ?? bands.count - 1
    }
}

/// Numbers in SVG: one decimal, enough for a pixel, and the same text on every platform.
enum SVGNumber {
    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
