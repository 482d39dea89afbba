import Dialects
import FuzzSupport

/// The ordered JSON parser every client body goes through. Beyond not crashing: whatever it accepts,
/// Tollgate's writer turns into text that parses back to the same value (member order, repeated keys and
/// number text included), and writing is stable (the second text equals the first).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    guard let value = parsedJSON(bytes) else { return 0 }
    let written = value.bytes
    let reparsed = requireValidJSON(written, "JSON.bytes")
    require(reparsed == value, "parse -> write -> parse changed the value: \(value.text)")
    require(reparsed.bytes == written, "writing is not stable: \(value.text)")
    return 0
}
