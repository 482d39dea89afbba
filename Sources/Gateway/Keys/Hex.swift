/// Lower-case hexadecimal text of bytes and integers, written without intermediate strings (key hashes
/// and request ids are made on every request).
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Two digits a byte.
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(max(64, bytes.underestimatedCount * 2))
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `value`'s lowest `count` hex digits, zero-padded on the left (`count` at most 16).
    static func string(_ value: UInt64, digits count: Int) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            for index in 0..<count {
                buffer[count - 1 - index] = digits[Int((value >> (4 * UInt64(index))) & 0xF)]
            }
            return count
        }
    }
}
