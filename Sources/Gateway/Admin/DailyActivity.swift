import Dialects

/// The answer of `/…/daily/activity` in LiteLLM's `SpendAnalyticsPaginatedResponse` shape (see
/// ``UsageDailyActivityRoutes``): one page of days with usage, newest first, each with its breakdowns, and
/// totals over the whole range.
struct DailyActivity: UsageAnswer {
    /// What `breakdown.entities` is keyed by.
    enum Entity { case key, user, team, endUser }

    var days: [(date: String, day: Day)]
    var total: UsageTotals
    var page: Int
    var totalPages: Int

    /// Folds `aggregates` (grouped by day, key, user, model, team and end user) into days and keeps the
    /// page `page` of `pageSize` days.
    init(_ aggregates: [UsageAggregate], entity: Entity, page: Int, pageSize: Int) {
        var byDate: [String: Day] = [:]
        var total = UsageTotals()
        for aggregate in aggregates {
            let group = aggregate.group
            let key = group.keyHash ?? group.keyID ?? ""
            let team = group.teamID ?? ""
            let entityID =
                switch entity {
                case .key: key
                case .user: group.userID ?? ""
                case .team: team
                case .endUser: group.endUser ?? ""
                }
            total.add(aggregate.sums)
            byDate[group.day ?? "", default: Day()]
                .add(aggregate.sums, key: key, alias: group.keyAlias, team: team, model: group.model ?? "", entity: entityID)
        }
        let dates = byDate.keys.sorted(by: >)
        totalPages = max(1, (dates.count + pageSize - 1) / pageSize)
        days = dates.dropFirst((page - 1) * pageSize).prefix(pageSize).map { ($0, byDate[$0] ?? Day()) }
        self.total = total
        self.page = page
    }

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.member("metadata", first: true)
        json.raw("{")
        json.member("has_more", first: true)
        json.bool(page < totalPages)
        json.member("page")
        json.int(page)
        json.member("total_api_requests")
        json.int(total.requests)
        json.member("total_cache_creation_input_tokens")
        json.int(0)
        json.member("total_cache_read_input_tokens")
        json.int(0)
        json.member("total_completion_tokens")
        json.int(total.completionTokens)
        json.member("total_failed_requests")
        json.int(total.failed)
        json.member("total_pages")
        json.int(totalPages)
        json.member("total_prompt_tokens")
        json.int(total.promptTokens)
        json.member("total_spend")
        json.number(total.spend)
        json.member("total_successful_requests")
        json.int(total.ok)
        json.member("total_tokens")
        json.int(total.totalTokens)
        json.raw("}")
        json.member("results")
        json.array(days) { json, entry in entry.day.write(date: entry.date, to: &json) }
        json.raw("}")
    }

    /// One day's totals and breakdowns.
    struct Day {
        var metrics = UsageTotals()
        /// Per served model: its sums, and per key.
        var models: [String: (metrics: UsageTotals, keys: [String: UsageTotals])] = [:]
        var keys: [String: UsageTotals] = [:]
        var aliases: [String: String] = [:]
        var teams: [String: String] = [:]
        var entities: [String: UsageTotals] = [:]

        mutating func add(_ sums: UsageTotals, key: String, alias: String?, team: String, model: String, entity: String) {
            if !team.isEmpty { teams[key] = team }
            metrics.add(sums)
            models[model, default: (UsageTotals(), [:])].metrics.add(sums)
            models[model, default: (UsageTotals(), [:])].keys[key, default: UsageTotals()].add(sums)
            keys[key, default: UsageTotals()].add(sums)
            if let alias { aliases[key] = alias }
            entities[entity, default: UsageTotals()].add(sums)
        }

        /// `{"breakdown": {...}, "date", "metrics": {...}}`.
        func write(date: String, to json: inout JSONWriter) {
            json.raw("{")
            json.member("breakdown", first: true)
            json.raw("{")
            json.member("api_keys", first: true)
            json.object(keys) { json, key, sums in keyEntry(key, sums, to: &json) }
            json.member("endpoints")
            json.raw("{}")
            json.member("entities")
            json.object(entities) { json, _, sums in Self.entry(sums, keys: [:], to: &json) }
            json.member("mcp_servers")
            json.raw("{}")
            json.member("model_groups")
            json.raw("{}")
            json.member("models")
            json.object(models) { json, _, model in
                Self.entry(model.metrics, keys: model.keys, to: &json) { json, key, sums in keyEntry(key, sums, to: &json) }
            }
            json.member("providers")
            json.raw("{")
            json.member("ollama", first: true)
            Self.entry(metrics, keys: [:], to: &json)
            json.raw("}")
            json.raw("}")
            json.member("date")
            json.string(date)
            json.member("metrics")
            metrics.writeSpendMetrics(to: &json)
            json.raw("}")
        }

        /// A key's sums: `{"metadata": {"key_alias", "team_id"}, "metrics": {...}}`.
        private func keyEntry(_ key: String, _ sums: UsageTotals, to json: inout JSONWriter) {
            json.raw("{")
            json.member("metadata", first: true)
            json.raw("{")
            json.member("key_alias", first: true)
            json.optionalString(aliases[key])
            json.member("team_id")
            json.optionalString(teams[key])
            json.raw("}")
            json.member("metrics")
            sums.writeSpendMetrics(to: &json)
            json.raw("}")
        }

        /// A model's, provider's or entity's sums: `{"api_key_breakdown": {...}, "metadata": {}, "metrics": {...}}`.
        private static func entry(
            _ sums: UsageTotals, keys: [String: UsageTotals], to json: inout JSONWriter,
            key: (inout JSONWriter, String, UsageTotals) -> Void = { _, _, _ in }
        ) {
            json.raw("{")
            json.member("api_key_breakdown", first: true)
            json.object(keys, value: key)
            json.member("metadata")
            json.raw("{}")
            json.member("metrics")
            sums.writeSpendMetrics(to: &json)
            json.raw("}")
        }
    }
}
