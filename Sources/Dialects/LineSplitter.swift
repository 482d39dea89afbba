/// Splits a byte stream into lines on `\n` (0x0A) only.
///
/// Network chunks cut lines, and UTF-8 characters, anywhere; bytes are kept until their line is complete,
/// so a line is decoded only when whole. No other byte ends a line: Ollama's JSON may hold a raw U+0085,
/// which a general-purpose line reader would treat as a line break.
public struct LineSplitter: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Adds `bytes` and returns every line they complete, without the `\n`.
    public mutating func append(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.withUnsafeBufferPointer { append(buffer: $0) }
    }

    public mutating func append(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        append(Array(bytes))
    }

    private mutating func append(buffer bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            if pending.isEmpty {
                lines.append(Array(bytes[start..<newline]))
            } else {
                pending.append(contentsOf: bytes[start..<newline])
                lines.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        pending.append(contentsOf: bytes[start...])
        return lines
    }

    /// The bytes after the last `\n`, once the stream has ended (a last line without a newline).
    public mutating func finish() -> [UInt8]? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : pending
    }
}
