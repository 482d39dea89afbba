import Hummingbird

/// Writes NDJSON lines to a response body: one write per line, or, with `split`, adversarially.
///
/// Split mode, per line `n` (0-based):
/// - lines with `n % 4` of 1 or 2 are held back, so the next write carries two complete objects
///   plus the start of a third;
/// - otherwise the pending bytes are cut after the new line's `{`, inside its first multi-byte
///   UTF-8 sequence, inside its first `\` escape, at a cycling offset, and just before its `\n`
///   (the newline itself is held back and leads the next write).
///
/// Pieces are written with a 1 ms pause so they tend to reach the client as separate reads.
struct NDJSONWriter {
    let split: Bool
    private var pending: [UInt8] = []
    private var lineIndex = 0

    init(split: Bool) { self.split = split }

    /// Writes `value` followed by `\n`.
    mutating func writeLine(_ value: JSONValue, to writer: inout any ResponseBodyWriter) async throws {
        var line = value.encoded()
        line.append(0x0A)
        guard split else {
            try await writer.write(ByteBuffer(bytes: line))
            return
        }
        defer { lineIndex += 1 }
        let base = pending.count
        pending += line
        if lineIndex % 4 == 1 || lineIndex % 4 == 2 { return }
        var cuts = [base + 1, base + 7 + (lineIndex * 13) % max(line.count - 8, 1), pending.count - 1]
        if let lead = line.firstIndex(where: { $0 >= 0xC0 }) { cuts.append(base + lead + 1) }
        if let escape = line.firstIndex(of: UInt8(ascii: "\\")) { cuts.append(base + escape + 2) }
        var start = 0
        for cut in Set(cuts).sorted() where cut > start && cut < pending.count {
            try await writer.write(ByteBuffer(bytes: pending[start..<cut]))
            start = cut
            try await Task.sleep(for: .milliseconds(1))
        }
        pending.removeFirst(start)
    }

    /// Writes whatever split bytes are still held back.
    mutating func flush(to writer: inout any ResponseBodyWriter) async throws {
        guard !pending.isEmpty else { return }
        try await writer.write(ByteBuffer(bytes: pending))
        pending.removeAll()
    }
}
