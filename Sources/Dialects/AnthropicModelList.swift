/// Anthropic's model objects, for `GET /v1/models` and `GET /v1/models/{id}` when the caller speaks
/// Anthropic (wire-formats §4.7; the route picks this shape on `anthropic-version` / `x-api-key`).
///
/// List: `{"data":[{"type":"model","id","display_name","created_at"}],"has_more":false,"first_id","last_id"}`,
/// with `first_id`/`last_id` null for an empty list. Everything fits one page, so `limit`, `after_id` and
/// `before_id` are not needed and `has_more` is always false. `created_at` is RFC 3339 in UTC.
public enum AnthropicModelList {
    public struct Model: Sendable, Equatable {
        public var id: String
        /// Seconds since 1970 (Ollama's `modified_at`, or the alias's configuration time).
        public var created: Int
        /// Shown in pickers; the id when nil.
        public var displayName: String?

        public init(id: String, created: Int, displayName: String? = nil) {
            self.id = id
            self.created = created
            self.displayName = displayName
        }
    }

    public static func json(_ models: [Model]) -> [UInt8] {
        var json = JSONWriter(capacity: 96 * models.count + 64)
        json.raw("{\"data\":[")
        for (offset, model) in models.enumerated() {
            if offset > 0 { json.raw(",") }
            write(model, to: &json)
        }
        json.raw("],\"has_more\":false,\"first_id\":")
        json.optionalString(models.first?.id)
        json.raw(",\"last_id\":")
        json.optionalString(models.last?.id)
        json.raw("}")
        return json.bytes
    }

    /// One model object, for `GET /v1/models/{id}`.
    public static func json(model: Model) -> [UInt8] {
        var json = JSONWriter(capacity: 128)
        write(model, to: &json)
        return json.bytes
    }

    private static func write(_ model: Model, to json: inout JSONWriter) {
        json.raw("{\"type\":\"model\",\"id\":")
        json.string(model.id)
        json.raw(",\"display_name\":")
        json.string(model.displayName ?? model.id)
        json.raw(",\"created_at\":")
        json.string(rfc3339(model.created))
        json.raw("}")
    }

    /// `2024-10-22T00:00:00Z` for a Unix time, without Foundation (civil-from-days, proleptic Gregorian).
    static func rfc3339(_ seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3_600, 2)):"
            + "\(pad(secondOfDay % 3_600 / 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}
