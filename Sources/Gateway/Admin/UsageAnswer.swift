import Dialects
import HTTPTypes
import Hummingbird
import NIOCore

/// A typed answer of the usage API (``SpendLogPage``, ``UsageReport``, ``DailyActivity``), written as
/// JSON by its own ``write(to:)`` through Dialects' ``JSONWriter``.
///
/// Hand-written rather than `JSONEncoder`: a 1,000-row log page or a 90-day activity report is large, and
/// the writer copies bytes straight out. Every object's members are written in code-point order of their
/// names (as `JSONSerialization`'s `sortedKeys` would, minus its ICU collation), so an answer is
/// deterministic; an unset value is written as `null`, never left out.
protocol UsageAnswer {
    func write(to json: inout JSONWriter)
}

extension UsageAnswer {
    /// The answer as a `200 application/json` response.
    func response() -> Response {
        var json = JSONWriter(capacity: 4096)
        write(to: &json)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }

    /// The answer as JSON text.
    var jsonText: String {
        var json = JSONWriter()
        write(to: &json)
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

extension JSONWriter {
    /// Starts an object member: `"name":`, after a comma unless it is the object's first.
    mutating func member(_ name: String, first: Bool = false) {
        if !first { raw(",") }
        key(name)
    }

    /// A number in Swift's shortest round-trip form (`0.5`, `12.0`, `1e-06`); `null` for nil or a
    /// non-finite value.
    mutating func number(_ value: Double?) {
        guard let value, value.isFinite else { return raw("null") }
        raw(value.description)
    }

    mutating func optionalInt(_ value: Int64?) {
        if let value { int(value) } else { raw("null") }
    }

    /// An object with `members`' names in code-point order, each value written by `value` (given the name too).
    mutating func object<Value>(_ members: [String: Value], value: (inout JSONWriter, String, Value) -> Void) {
        raw("{")
        for (index, entry) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            member(entry.key, first: index == 0)
            value(&self, entry.key, entry.value)
        }
        raw("}")
    }

    /// `[...]` of `elements`, each written by `element`.
    mutating func array<Element>(_ elements: some Sequence<Element>, element: (inout JSONWriter, Element) -> Void) {
        raw("[")
        for (index, item) in elements.enumerated() {
            if index > 0 { raw(",") }
            element(&self, item)
        }
        raw("]")
    }
}
