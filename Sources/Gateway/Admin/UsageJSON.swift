import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A fast JSON writer for the usage API's large answers (a 1,000-row log page, a 90-day activity
/// report). Foundation's `JSONSerialization` with sorted keys compares keys through ICU collation and
/// casts every value dynamically, which made such answers cost seconds; this writes the handful of
/// types the usage routes build, with keys in plain code-point order (deterministic, like `sortedKeys`).
///
/// Values: `String`, `Bool`, `Int`, `Int64`, `Double` (non-finite as null), `NSNull`, `[String: Any]`,
/// `[Any]`, ``RawJSON``; anything else goes through `JSONSerialization`.
enum UsageJSON {
    static func response(_ value: Any) -> Response {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4096)
        write(value, to: &bytes)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func encode(_ value: Any) -> String {
        var bytes: [UInt8] = []
        write(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ value: Any, to bytes: inout [UInt8]) {
        // Exact types first: a conditional cast of a Swift collection out of `Any` may go through
        // Foundation's bridging (NSDictionary, NSString) on Linux, which is what made this slow.
        let type = type(of: value)
        if type == String.self {
            string(value as! String, to: &bytes)
        } else if type == [String: Any].self {
            object(value as! [String: Any], to: &bytes)
        } else if type == [String: [String: Any]].self {
            object(value as! [String: [String: Any]], to: &bytes)
        } else if type == [[String: Any]].self {
            array(value as! [[String: Any]], to: &bytes)
        } else if type == [Any].self {
            array(value as! [Any], to: &bytes)
        } else if type == [String].self {
            array(value as! [String], to: &bytes)
        } else if type == Int64.self {
            bytes += String(value as! Int64).utf8
        } else if type == Int.self {
            bytes += String(value as! Int).utf8
        } else if type == Double.self {
            let number = value as! Double
            bytes += number.isFinite ? Array("\(number)".utf8) : Array("null".utf8)
        } else if type == Bool.self {
            bytes += (value as! Bool) ? Array("true".utf8) : Array("false".utf8)
        } else if value is NSNull {
            bytes += "null".utf8
        } else if let raw = value as? RawJSON {
            bytes += raw.text.utf8
        } else if let object = value as? [String: Any] {
            self.object(object, to: &bytes)
        } else if let array = value as? [Any] {
            self.array(array, to: &bytes)
        } else {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data("null".utf8)
            bytes += data
        }
    }

    private static func object<Value>(_ object: [String: Value], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            write(object[key]!, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private static func array<Element>(_ array: [Element], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in array.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(element, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    static func string(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// JSON text to embed as is (a stored payload that parses as JSON).
struct RawJSON {
    let text: String
}
