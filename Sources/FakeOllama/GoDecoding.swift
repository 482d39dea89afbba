/// An error answered before any reply byte: HTTP status plus the `error` message.
struct RequestError: Error, Sendable {
    var status: Int
    var message: String

    static func badRequest(_ message: String) -> RequestError { RequestError(status: 400, message: message) }
}

/// Helpers that reproduce the request checks Ollama gets from Go's `encoding/json` decoding into
/// its typed structs, with Go's error wording.
enum GoDecoding {
    /// Decodes a request body into a JSON object, as gin's `ShouldBindJSON` into `api.<goType>`:
    /// an empty body is `missing request body`, syntax errors carry Go's decoder text.
    static func object(_ body: [UInt8], goType: String) throws(RequestError) -> JSONValue {
        guard body.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw .badRequest("missing request body")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw .badRequest(error.message)
        }
        switch value {
        case .object: return value
        case .null: return .object([])
        default: throw .badRequest("json: cannot unmarshal \(value.goKind) into Go value of type api.\(goType)")
        }
    }

    /// Go's type-mismatch error for field `field` of struct `goStruct`.
    static func mismatch(_ value: JSONValue, _ goStruct: String, _ field: String, _ goType: String) -> RequestError {
        .badRequest("json: cannot unmarshal \(value.goKind) into Go struct field \(goStruct).\(field) of type \(goType)")
    }

    /// The string at `key` (`nil` when absent or null), or Go's mismatch error.
    static func string(_ object: JSONValue, _ key: String, in goStruct: String, field: String? = nil) throws(RequestError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw mismatch(value, goStruct, field ?? key, "string") }
        return string
    }

    /// The bool at `key` (`nil` when absent or null), or Go's mismatch error.
    static func bool(_ object: JSONValue, _ key: String, in goStruct: String) throws(RequestError) -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw mismatch(value, goStruct, key, "bool") }
        return bool
    }

    /// The integer at `key` (`nil` when absent or null); fractions and wrong kinds are Go errors.
    static func int(_ object: JSONValue, _ key: String, in goStruct: String) throws(RequestError) -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .int(let int) = value else { throw mismatch(value, goStruct, key, "int") }
        return Int(int)
    }

    /// The array at `key` (empty when absent or null), or Go's mismatch error.
    static func array(_ object: JSONValue, _ key: String, in goStruct: String, goType: String) throws(RequestError) -> [JSONValue] {
        guard let value = object[key], !value.isNull else { return [] }
        guard let array = value.arrayValue else { throw mismatch(value, goStruct, key, goType) }
        return array
    }

    /// Validates `images` (Go `[]byte` ⇒ standard base64 with padding; `data:` URLs fail).
    static func images(_ object: JSONValue, in goStruct: String, field: String) throws(RequestError) {
        guard let value = object["images"], !value.isNull else { return }
        guard let images = value.arrayValue else { throw mismatch(value, goStruct, field, "[]api.ImageData") }
        for image in images {
            guard let text = image.stringValue else { throw mismatch(image, goStruct, field, "api.ImageData") }
            if let offset = invalidBase64Offset(text) {
                throw .badRequest("illegal base64 data at input byte \(offset)")
            }
        }
    }

    /// The offset Go's `base64.StdEncoding` reports for `text`, or `nil` when it decodes.
    static func invalidBase64Offset(_ text: String) -> Int? {
        let bytes = Array(text.utf8).filter { $0 != 0x0A && $0 != 0x0D }
        func isAlphabet(_ b: UInt8) -> Bool {
            (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2B || b == 0x2F
        }
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "=") {
                let tail = bytes[offset...]
                let valid = tail.count <= 2 && tail.allSatisfy { $0 == UInt8(ascii: "=") } && bytes.count % 4 == 0
                return valid ? nil : offset
            }
            if !isAlphabet(byte) { return offset }
        }
        return bytes.count % 4 == 0 ? nil : bytes.count - bytes.count % 4
    }

    /// `think`: a bool or a level string (`high`, `medium`, `low`, `max`). Returns `nil` when absent.
    static func think(_ object: JSONValue) throws(RequestError) -> Bool? {
        guard let value = object["think"], !value.isNull else { return nil }
        if let bool = value.boolValue { return bool }
        if let level = value.stringValue {
            guard ["high", "medium", "low", "max"].contains(level) else {
                throw .badRequest(#"invalid think value: "\#(level)" (must be "high", "medium", "low", true, or false)"#)
            }
            return true
        }
        throw .badRequest("think must be a boolean or string")
    }

    /// `keep_alive` in seconds (number = seconds, string = Go duration, negative = forever
    /// reported as `.infinity`). `nil` when absent.
    static func keepAlive(_ object: JSONValue) throws(RequestError) -> Double? {
        guard let value = object["keep_alive"], !value.isNull else { return nil }
        if let seconds = value.doubleValue { return seconds < 0 ? .infinity : seconds }
        guard let text = value.stringValue else { throw .badRequest("Unsupported type: '\(value.goKind)'") }
        let seconds = try goDuration(text)
        return seconds < 0 ? .infinity : seconds
    }

    /// Parses a Go duration string (`"5m"`, `"1h30m"`, `"-1s"`, `"0"`) into seconds.
    static func goDuration(_ text: String) throws(RequestError) -> Double {
        let units: [String: Double] = ["ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600]
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { throw .badRequest("time: invalid duration \"\(text)\"") }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let amount = Double(number) else { throw .badRequest("time: invalid duration \"\(text)\"") }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard !unit.isEmpty else { throw .badRequest("time: missing unit in duration \"\(text)\"") }
            guard let scale = units[String(unit)] else {
                throw .badRequest("time: unknown unit \"\(unit)\" in duration \"\(text)\"")
            }
            rest = rest.dropFirst(unit.count)
            total += amount * scale
        }
        return sign * total
    }

    /// Validates known `options` keys the way Ollama's `Options.FromMap` does (wrong JSON types are errors).
    static func options(_ object: JSONValue, in goStruct: String) throws(RequestError) -> JSONValue? {
        guard let value = object["options"], !value.isNull else { return nil }
        guard case .object(let members) = value else { throw mismatch(value, goStruct, "options", "map[string]interface {}") }
        let integers: Set = [
            "num_predict", "top_k", "repeat_last_n", "seed", "num_keep",
            "num_ctx", "num_batch", "num_gpu", "main_gpu", "num_thread",
        ]
        let floats: Set = ["temperature", "top_p", "min_p", "typical_p", "repeat_penalty", "presence_penalty", "frequency_penalty"]
        for (key, option) in members where !option.isNull {
            if integers.contains(key), option.doubleValue == nil {
                throw .badRequest("option \"\(key)\" must be of type integer")
            } else if floats.contains(key), option.doubleValue == nil {
                throw .badRequest("option \"\(key)\" must be of type float32")
            } else if key == "stop" {
                guard let items = option.arrayValue else { throw .badRequest("option \"stop\" must be of type array") }
                guard items.allSatisfy({ $0.stringValue != nil }) else {
                    throw .badRequest("option \"stop\" must be of an array of strings")
                }
            } else if key == "use_mmap", option.boolValue == nil {
                throw .badRequest("option \"use_mmap\" must be of type boolean")
            }
        }
        return value
    }
}
