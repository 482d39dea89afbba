import Dialects
import FuzzSupport

/// The NDJSON splitter that cuts Ollama's stream into lines. The first four input bytes choose the
/// chunk sizes (0 to 16, cycled) the rest is fed in, so the fuzzer explores where network reads cut
/// lines. Invariants: every line plus its `\n`, then the final partial line, is exactly the input; no
/// line holds a `\n`; and the lines do not depend on the chunking (one whole chunk gives the same).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineSplitter(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    let pattern = input.prefix(4).map { Int($0 % 17) }
    let data = Array(input.dropFirst(4))

    var chunked = LineSplitter()
    var lines: [[UInt8]] = []
    var offset = 0
    var turn = 0
    while offset < data.count {
        let size = pattern.isEmpty ? data.count : pattern[turn % pattern.count]
        turn += 1
        if pattern.allSatisfy({ $0 == 0 }), size == 0, turn > pattern.count {
            // Only empty chunks in the pattern: feed the rest whole so the loop ends.
            lines += chunked.append(data[offset...])
            offset = data.count
            break
        }
        let end = min(offset + size, data.count)
        // Alternate the two entry points: arrays and slices.
        if turn % 2 == 0 {
            lines += chunked.append(Array(data[offset..<end]))
        } else {
            lines += chunked.append(data[offset..<end])
        }
        offset = end
    }
    let rest = chunked.finish()
    require(chunked.finish() == nil, "finish() returned the rest twice")

    var joined: [UInt8] = []
    for line in lines {
        require(!line.contains(0x0A), "a line holds a newline")
        joined += line
        joined.append(0x0A)
    }
    if let rest {
        require(!rest.isEmpty && !rest.contains(0x0A), "finish() returned an empty or multi-line rest")
        joined += rest
    }
    require(joined == data, "lines + newlines + rest differ from the input")

    var whole = LineSplitter()
    let wholeLines = whole.append(data)
    require(wholeLines == lines && whole.finish() == rest, "the lines depend on the chunking")
    return 0
}
