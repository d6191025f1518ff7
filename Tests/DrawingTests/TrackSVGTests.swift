import Domain
import Foundation
import Testing

@testable import Drawing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct TrackSVGTests {
    static func point(_ t: Int64, lat: Int32, lon: Int32, speedKmh: UInt16) -> PositionRecord {
        PositionRecord(
            terminalID: 1, gnssTime: t, latitudeE6: lat, longitudeE6: lon, altitude: 0, speed: speedKmh * 10, course: 0, alarm: 0, status: 2,
            mileage: nil, backfill: false
        )
    }

    /// Collects the elements of an SVG, failing on anything that is not well-formed XML.
    final class Elements: NSObject, XMLParserDelegate {
        var found: [(name: String, attributes: [String: String])] = []
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            found.append((name, attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    static func parse(_ svg: String) -> Elements? {
        let elements = Elements()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = elements
        return parser.parse() ? elements : nil
    }

    @Test func aTrackIsDrawnAsWellFormedSVGColouredBySpeed() throws {
        // East 1 km at 20 km/h, then north 1 km at 100 km/h (0.009 degrees of latitude is 1.0 km).
        let track = [
            Self.point(0, lat: 30_000_000, lon: 120_000_000, speedKmh: 20),
            Self.point(60, lat: 30_000_000, lon: 120_005_000, speedKmh: 20),
            Self.point(120, lat: 30_000_000, lon: 120_010_390, speedKmh: 20),
            Self.point(150, lat: 30_004_500, lon: 120_010_390, speedKmh: 100),
            Self.point(180, lat: 30_009_000, lon: 120_010_390, speedKmh: 100),
        ]
        let svg = TrackSVG.render(track, title: "浙B12345D <test> & co", subtitle: "5 positions")
        let elements = try #require(Self.parse(svg), "not well-formed:\n\(svg)")
        #expect(elements.text.contains("浙B12345D <test> & co"), "the title is escaped, and reads back as given")
        let lines = elements.found.filter { $0.name == "polyline" }
        #expect(lines.map { $0.attributes["stroke"] } == ["#2e7d32", "#c62828"], "one run per speed band")
        #expect(lines.map { $0.attributes["points"]?.split(separator: " ").count } == [3, 3], "runs share their joining point")
        // Equal distances east and north are drawn equally long: the projection keeps the shape.
        let east = lines[0].attributes["points"]!.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        let north = lines[1].attributes["points"]!.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        let eastLength = east.last![0] - east.first![0], northLength = north.first![1] - north.last![1]
        #expect(eastLength > 100 && abs(eastLength - northLength) / eastLength < 0.01, "\(eastLength) vs \(northLength)")
        // Start and end markers where the track starts and ends.
        let start = try #require(elements.found.first { $0.name == "circle" })
        #expect(start.attributes["cx"] == "\(east[0][0])" && start.attributes["cy"] == "\(east[0][1])")
        #expect(elements.text.contains("200 m") || elements.text.contains("100 m"), "a scale bar")
        #expect(svg == TrackSVG.render(track, title: "浙B12345D <test> & co", subtitle: "5 positions"), "the same bytes every time")
    }

    @Test func anEmptyPeriodSaysSo() throws {
        let svg = TrackSVG.render([], title: "浙B1", subtitle: "")
        let elements = try #require(Self.parse(svg))
        #expect(elements.text.contains("no positions in this period") && !elements.found.contains { $0.name == "polyline" })
    }
}
