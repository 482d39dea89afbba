#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant with nanosecond precision, formatted the way Go's `time.Time`
/// marshals to JSON (RFC 3339, UTC `Z`, fractional seconds with trailing zeros trimmed).
struct WallTime: Sendable, Comparable {
    var seconds: Int64
    var nanoseconds: Int64

    static func now() -> WallTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
    }

    func adding(seconds delta: Double) -> WallTime {
        let whole = delta.rounded(.down)
        var nanos = nanoseconds + Int64((delta - whole) * 1e9)
        var secs = seconds + Int64(whole)
        if nanos >= 1_000_000_000 { nanos -= 1_000_000_000; secs += 1 }
        return WallTime(seconds: secs, nanoseconds: nanos)
    }

    static func < (lhs: WallTime, rhs: WallTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// e.g. `2025-07-07T20:22:19.184789Z`.
    var rfc3339: String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
        text += "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        if nanoseconds > 0 {
            var fraction = String(nanoseconds)
            fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
            while fraction.last == "0" { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }
}
