/// Reading a client's request body: typed member access whose errors name the member at fault
/// (`messages[2].content`), in OpenAI's wording. Null counts as absent, as clients send `"stop": null`.
enum RequestField {
    /// `parent.key`, or `key` at the top level.
    static func path(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : "\(parent).\(key)" }

    static func invalidType(_ path: String, expected: String) -> DialectError {
        DialectError(.invalidRequest, "Invalid type for '\(path)': expected \(expected).", param: path)
    }

    static func missing(_ path: String) -> DialectError {
        DialectError(.invalidRequest, "Missing required parameter: '\(path)'.", param: path)
    }

    static func invalidValue(_ path: String, _ detail: String) -> DialectError {
        DialectError(.invalidRequest, "Invalid value for '\(path)': \(detail)", param: path)
    }

    /// Parses a request body that must be one JSON object; the error says where the JSON broke, never what it held.
    static func body(_ bytes: some Collection<UInt8>) throws(DialectError) -> JSON {
        let body: JSON
        do {
            body = try JSONParser.parse(bytes)
        } catch {
            throw DialectError(.invalidRequest, "The request body is not valid JSON (\(error)).")
        }
        guard case .object = body else { throw DialectError(.invalidRequest, "The request body must be a JSON object.") }
        return body
    }
}

extension JSON {
    /// The member `key`, unless it is absent or null.
    func present(_ key: String) -> JSON? {
        guard let value = self[key], value != .null else { return nil }
        return value
    }

    func stringField(_ key: String, in parent: String = "") throws(DialectError) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw RequestField.invalidType(RequestField.path(parent, key), expected: "a string") }
        return text
    }

    func boolField(_ key: String, in parent: String = "") throws(DialectError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw RequestField.invalidType(RequestField.path(parent, key), expected: "a boolean") }
        return flag
    }

    func intField(_ key: String, in parent: String = "") throws(DialectError) -> Int? {
        guard let value = present(key) else { return nil }
        guard let number = value.int else { throw RequestField.invalidType(RequestField.path(parent, key), expected: "an integer") }
        return number
    }

    func doubleField(_ key: String, in parent: String = "") throws(DialectError) -> Double? {
        guard let value = present(key) else { return nil }
        guard let number = value.double, number.isFinite else {
            throw RequestField.invalidType(RequestField.path(parent, key), expected: "a number")
        }
        return number
    }

    /// The member as an object (still a ``JSON`` value, so it can be read further).
    func objectField(_ key: String, in parent: String = "") throws(DialectError) -> JSON? {
        guard let value = present(key) else { return nil }
        guard case .object = value else { throw RequestField.invalidType(RequestField.path(parent, key), expected: "an object") }
        return value
    }

    func arrayField(_ key: String, in parent: String = "") throws(DialectError) -> [JSON]? {
        guard let value = present(key) else { return nil }
        guard case .array(let elements) = value else { throw RequestField.invalidType(RequestField.path(parent, key), expected: "an array") }
        return elements
    }

    /// OpenAI's `stop`: one string or an array of strings; empty strings are dropped (they cannot stop anything).
    func stopField(_ key: String = "stop") throws(DialectError) -> [String]? {
        guard let value = present(key) else { return nil }
        switch value {
        case .string(let one): return one.isEmpty ? [] : [one]
        case .array(let elements):
            var stops: [String] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    throw RequestField.invalidType("\(key)[\(index)]", expected: "a string")
                }
                if !text.isEmpty { stops.append(text) }
            }
            return stops
        default:
            throw RequestField.invalidType(key, expected: "a string or an array of strings")
        }
    }

    /// An OpenAI token limit (`max_tokens`): at least 1 when present.
    func tokenLimitField(_ key: String) throws(DialectError) -> Int? {
        guard let limit = try intField(key) else { return nil }
        guard limit >= 1 else { throw RequestField.invalidValue(key, "must be at least 1.") }
        return limit
    }
}
