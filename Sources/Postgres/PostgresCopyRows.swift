public import Foundation

/// Rows for `COPY … FROM STDIN` in PostgreSQL's text format, encoded into bytes as they are appended.
///
/// Fields are separated by a tab and rows end with a newline; SQL NULL is `\N`. In a value, backslash, tab,
/// newline and carriage return are escaped (`\\`, `\t`, `\n`, `\r`), so no value can end a field or a row
/// early, and a value that reads `\N` or `\.` arrives as that text. NUL characters are dropped: PostgreSQL
/// text cannot hold them (a bound parameter is cut at the first one, for the same reason).
///
/// The caller appends exactly the columns the `COPY` statement names, in order, then ``endRow()``.
public struct PostgresCopyRows: Sendable {
    /// The encoded rows, ready to send.
    public private(set) var bytes: [UInt8] = []
    /// Rows ended so far.
    public private(set) var count = 0
    private var rowIsEmpty = true

    /// - Parameter capacity: bytes to reserve up front.
    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        count += 1
        rowIsEmpty = true
    }

    public mutating func append(_ value: String?) {
        separate()
        guard var text = value else { return appendNull() }
        text.withUTF8 { utf8 in
            if !utf8.contains(where: Self.needsEscape) {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): appendEscape("\\")
                case UInt8(ascii: "\t"): appendEscape("t")
                case UInt8(ascii: "\n"): appendEscape("n")
                case UInt8(ascii: "\r"): appendEscape("r")
                case 0: continue
                default: bytes.append(byte)
                }
            }
        }
    }

    public mutating func append(_ value: Int?) {
        separate()
        guard let value else { return appendNull() }
        appendDecimal(Int64(value))
    }

    public mutating func append(_ value: Int64?) {
        separate()
        guard let value else { return appendNull() }
        appendDecimal(value)
    }

    public mutating func append(_ value: Bool?) {
        separate()
        guard let value else { return appendNull() }
        bytes.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// A `double precision`, printed with the shortest text that reads back as the same value.
    public mutating func append(_ value: Double?) {
        separate()
        guard let value else { return appendNull() }
        if value.isNaN {
            bytes.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            bytes.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    /// A `timestamptz` with microsecond precision, in UTC (the form ``PostgresValue/init(_:)-(Date?)`` binds).
    public mutating func append(_ value: Date?) {
        separate()
        guard let value else { return appendNull() }
        let micros = Int64((value.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        appendDigits(Int64(parts.tm_year) + 1900, width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int64(parts.tm_mon) + 1, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int64(parts.tm_mday), width: 2)
        bytes.append(UInt8(ascii: " "))
        appendDigits(Int64(parts.tm_hour), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int64(parts.tm_min), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int64(parts.tm_sec), width: 2)
        bytes.append(UInt8(ascii: "."))
        appendDigits(fraction, width: 6)
        bytes.append(contentsOf: "+00".utf8)
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == 0
    }

    private mutating func separate() {
        if !rowIsEmpty { bytes.append(UInt8(ascii: "\t")) }
        rowIsEmpty = false
    }

    private mutating func appendNull() { appendEscape("N") }

    /// A backslash and `letter`.
    private mutating func appendEscape(_ letter: Unicode.Scalar) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: letter))
    }

    private mutating func appendDecimal(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            // The magnitude of Int64.min does not fit in Int64; it does in UInt64.
            appendDigits(UInt64(bitPattern: 0 &- value), width: 1)
        } else {
            appendDigits(UInt64(value), width: 1)
        }
    }

    private mutating func appendDigits(_ value: Int64, width: Int) {
        appendDigits(UInt64(max(0, value)), width: width)
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    private mutating func appendDigits(_ value: UInt64, width: Int) {
        var length = 1
        var rest = value / 10
        while rest > 0 {
            length += 1
            rest /= 10
        }
        let total = max(length, width)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: total))
        var index = bytes.count
        rest = value
        repeat {
            index -= 1
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        } while rest > 0
    }
}
