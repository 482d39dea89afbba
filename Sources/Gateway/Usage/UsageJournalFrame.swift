/// How one record is laid out in a journal segment file.
///
/// ```
/// "TGJ1"  payload length (UInt32, little-endian)  CRC-32 of the payload (UInt32, little-endian)  payload
/// ```
///
/// The payload is the record as JSON (readable with `strings`, and tolerant of fields added later). The length
/// and checksum let a reader tell a whole record from one torn by a crash or a power loss. A frame whose magic,
/// length or checksum is wrong is damage; the reader then resynchronises on the next offset where a whole frame
/// checks out (its magic, a sane length and a matching CRC), so one bad frame costs only itself (``step(_:at:)``).
enum UsageJournalFrame {
    static let magic: [UInt8] = Array("TGJ1".utf8)
    static let headerSize = 12
    /// A larger length field can only be garbage: usage records are well under a kilobyte.
    static let maxPayloadBytes = 1 << 20

    /// The frame holding `payload`.
    static func encode(_ payload: [UInt8]) -> [UInt8] {
        var frame = magic
        frame.reserveCapacity(headerSize + payload.count)
        append(UInt32(payload.count), to: &frame)
        append(CRC32.checksum(payload), to: &frame)
        frame += payload
        return frame
    }

    /// What the bytes at one offset of a segment hold.
    enum Decoded: Equatable {
        /// A whole record: its payload is `payload`, the next frame starts at `next`.
        case record(payload: Range<Int>, next: Int)
        /// The end of the bytes, exactly at a frame boundary.
        case end
        /// Not a whole, intact frame: a torn write or corruption.
        case torn(String)
    }

    /// One step of reading a segment: a record, the end, or damage and where reading goes on.
    enum Step: Equatable {
        case record(payload: Range<Int>, next: Int)
        case end
        /// `bytes` hold no whole frame; reading resumes at their upper bound (the next whole frame, or the end).
        case damaged(bytes: Range<Int>, reason: String)
    }

    /// Reads the frame at `offset`, or, when it is damaged, finds the next offset where a whole frame starts.
    ///
    /// A payload containing the magic by chance is no risk: a frame is only accepted where its CRC checks out.
    static func step(_ bytes: [UInt8], at offset: Int) -> Step {
        switch decode(bytes, at: offset) {
        case .record(let payload, let next): return .record(payload: payload, next: next)
        case .end: return .end
        case .torn(let reason):
            var candidate = offset + 1
            while let found = bytes[candidate...].firstRange(of: magic)?.lowerBound {
                if case .record = decode(bytes, at: found) { return .damaged(bytes: offset..<found, reason: reason) }
                candidate = found + 1
            }
            return .damaged(bytes: offset..<bytes.count, reason: reason)
        }
    }

    /// Decodes the frame at `offset` of `bytes`.
    static func decode(_ bytes: [UInt8], at offset: Int) -> Decoded {
        if offset == bytes.count { return .end }
        guard bytes.count - offset >= headerSize else { return .torn("a partial frame header") }
        guard bytes[offset..<offset + 4].elementsEqual(magic) else { return .torn("no frame marker") }
        let length = Int(readUInt32(bytes, at: offset + 4))
        guard length <= maxPayloadBytes else { return .torn("an impossible record length \(length)") }
        let start = offset + headerSize
        guard bytes.count - start >= length else { return .torn("a partial record") }
        let payload = start..<start + length
        guard CRC32.checksum(bytes[payload]) == readUInt32(bytes, at: offset + 8) else { return .torn("a checksum mismatch") }
        return .record(payload: payload, next: start + length)
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32($1 * 8) }
    }
}

/// CRC-32 (IEEE 802.3, the one zlib and `cksum -o 3` compute), table-driven, eight bytes per step
/// ("slicing-by-8": `tables[k]` is the CRC of a byte followed by k zero bytes), about four times the speed
/// of a byte at a time; every record is checksummed when it is journaled and again when it is read back.
enum CRC32 {
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            tables[index] = crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = tables[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return tables
    }()

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable(checksum) { return crc }
        return Array(bytes).withUnsafeBufferPointer(checksum)
    }

    private static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            var index = 0
            while bytes.count - index >= 8 {
                let low = crc ^ (UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24)
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(bytes[index + 4])] ^ t[2 * 256 + Int(bytes[index + 5])]
                    ^ t[1 * 256 + Int(bytes[index + 6])] ^ t[Int(bytes[index + 7])]
                index += 8
            }
            while index < bytes.count {
                crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
