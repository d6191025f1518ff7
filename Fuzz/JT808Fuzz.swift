// libFuzzer entry over the splitter and the decoder (see Deploy/fuzz.sh). Built together with
// Sources/JT808 as one module by swiftc, so it is not a package target.
//
// Every input is fed through the streaming splitter in two different chunkings (which must give
// the same frames), then every frame is decoded strictly and leniently; sub-packages go through
// the assembler; whatever decodes is re-encoded and decoded again. Anything but a typed error is
// a bug: a trap, a hang or unbounded memory is what libFuzzer reports.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var whole: [UnescapedFrame.Owned?] = []
    var splitter = FrameSplitter()
    splitter.feed(input) { event in
        if case .frame(let f) = event { whole.append(f.owned()) } else { whole.append(nil) }
    }
    splitter.finish { event in
        if case .frame(let f) = event { whole.append(f.owned()) } else { whole.append(nil) }
    }
    // The same stream in chunks of 1..7 bytes must give the same frames.
    var chunked: [UnescapedFrame.Owned?] = []
    var again = FrameSplitter()
    var offset = 0
    var step = 1
    while offset < size {
        let n = min(step, size - offset)
        again.feed(UnsafeRawBufferPointer(rebasing: input[offset..<offset + n])) { event in
            if case .frame(let f) = event { chunked.append(f.owned()) } else { chunked.append(nil) }
        }
        offset += n
        step = step % 7 + 1
    }
    again.finish { event in
        if case .frame(let f) = event { chunked.append(f.owned()) } else { chunked.append(nil) }
    }
    precondition(whole == chunked, "chunking changed the frames")

    var assembler = SubpackageAssembler<ContinuousClock.Instant>(limits: .init(maximumMessages: 4, maximumMessageBytes: 1 << 16, maximumTotalBytes: 1 << 18))
    let now = ContinuousClock.now
    for case let frame? in whole {
        for decoder in [FrameDecoder(), FrameDecoder(acceptsBadChecksum: true), FrameDecoder(pinnedVersion: .v2019, acceptsBadChecksum: true)] {
            guard let decoded = try? frame.withFrame({ f throws(JT808Error) in try decoder.decode(f) }) else { continue }
            switch decoded.content {
            case .message(let message):
                roundTrip(message, decoded.header, decoder)
                _ = FrameJSON.render(decoded)
            case .part(let bytes):
                if case .complete(let header, let body) = assembler.add(header: decoded.header, part: bytes, now: now),
                   let whole = try? decoder.decode(reassembled: header, body: body), let message = whole.message {
                    roundTrip(message, header, decoder)
                }
            }
        }
    }
    _ = assembler.expire(now: now.advanced(by: .seconds(3600)))
    return 0
}

/// What decoded must encode and decode again without trapping.
private func roundTrip(_ message: Message, _ header: MessageHeader, _ decoder: FrameDecoder) {
    for wire in FrameEncoder.encode(message, header: header) {
        _ = try? Framing.unescape(wire: wire).withFrame { f throws(JT808Error) in try decoder.decode(f) }
    }
}
