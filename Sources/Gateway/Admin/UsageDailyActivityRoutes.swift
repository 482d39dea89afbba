import Dialects
import Foundation
import Hummingbird
import Postgres

/// `GET /key/daily/activity`, `/user/daily/activity`, `/team/daily/activity` and `/customer/daily/activity`
/// (also `/end_user/daily/activity`) in LiteLLM's daily-activity shape
/// (`SpendAnalyticsPaginatedResponse`), so dashboards and scripts built for LiteLLM's usage page read
/// them unchanged. Read from `usage_daily` only. Master key only.
///
/// ```
/// {"results": [{"date": "2024-05-01",
///               "metrics": {spend, prompt_tokens, completion_tokens, total_tokens, api_requests,
///                           successful_requests, failed_requests, cache_read_input_tokens, cache_creation_input_tokens},
///               "breakdown": {"models": {name: {metrics, metadata, api_key_breakdown}},
///                             "api_keys": {key hash: {metrics, metadata: {key_alias, team_id}}},
///                             "providers": {"ollama": …}, "entities": {…}, "model_groups": {}, "mcp_servers": {}, "endpoints": {}}}],
///  "metadata": {total_spend, total_prompt_tokens, total_completion_tokens, total_tokens, total_api_requests,
///               total_successful_requests, total_failed_requests, total_cache_…_tokens, page, total_pages, has_more}}
/// ```
///
/// Parameters: `start_date`, `end_date` (inclusive days; default the last 30), `api_key`, `user_id`, `team_id`,
/// `end_user` (or `customer_id`), `model`,
/// `page` (from 1) and `page_size` (days per page, 1–1000, default 1000). Results are days with usage,
/// newest first; `metadata` totals cover the whole range, not only the page. `entities` is keyed by user
/// id on `/user/daily/activity`, by team id on `/team/daily/activity`, by end user on `/customer/daily/activity`
/// ("" for usage without one) and by key on `/key/daily/activity`. Keys appear by hash (`master` for the
/// master key, the key id for a deleted key). `models` are the Ollama models that served the requests.
struct UsageDailyActivityRoutes: Sendable {
    enum Entity { case key, user, team, endUser }

    let store: UsageStore
    let catalog: ModelCatalog
    let now: @Sendable () -> Date

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("key/daily/activity") { request, context in try await activity(request, entity: .key) }
        group.get("user/daily/activity") { request, context in try await activity(request, entity: .user) }
        group.get("team/daily/activity") { request, context in try await activity(request, entity: .team) }
        group.get("customer/daily/activity") { request, context in try await activity(request, entity: .endUser) }
        group.get("end_user/daily/activity") { request, context in try await activity(request, entity: .endUser) }
    }

    func activity(_ request: Request, entity: Entity) async throws -> Response {
        let parameters = UsageParameters(request)
        var filter = UsageStore.DailyFilter(days: try parameters.dayRange(today: UsageDay(containing: now())))
        filter.keyID = try await parameters.keyID { try await store.keyID(hash: $0) }
        filter.userID = parameters.string("user_id")
        filter.teamID = parameters.string("team_id")
        filter.endUser = parameters.endUser
        if let model = parameters.string("model") { filter.models = await UsageReportRoutes.servedNames(model, catalog: catalog) }
        let page = try parameters.integer("page", in: 1...1_000_000, default: 1)
        let pageSize = try parameters.integer("page_size", in: 1...1000, default: 1000)

        let rows = try await store.aggregate(filter, by: [.day, .key, .user, .model, .team, .endUser], histograms: false)
        var days: [String: Day] = [:]
        var total = UsageTotals()
        for index in 0..<rows.count {
            let row = rows.row(index)
            let sums = UsageTotals(row)
            let date = row.text("day") ?? ""
            let key = row.text("key_hash") ?? row.text("key_id") ?? ""
            let alias = row.text("key_alias")
            let model = row.text("model") ?? ""
            let team = row.text("team_id") ?? ""
            let entityID =
                switch entity {
                case .key: key
                case .user: row.text("user_id") ?? ""
                case .team: team
                case .endUser: row.text("end_user") ?? ""
                }
            total.add(sums)
            days[date, default: Day()].add(sums, key: key, alias: alias, team: team, model: model, entity: entityID)
        }
        let dates = days.keys.sorted(by: >)
        let totalPages = max(1, (dates.count + pageSize - 1) / pageSize)
        let pageDates = dates.dropFirst((page - 1) * pageSize).prefix(pageSize)
        let results = pageDates.map { date in days[date]!.json(date: date) }
        return UsageJSON.response([
            "results": results,
            "metadata": [
                "total_spend": total.spend,
                "total_prompt_tokens": total.promptTokens,
                "total_completion_tokens": total.completionTokens,
                "total_tokens": total.totalTokens,
                "total_api_requests": total.requests,
                "total_successful_requests": total.ok,
                "total_failed_requests": total.failed,
                "total_cache_read_input_tokens": 0,
                "total_cache_creation_input_tokens": 0,
                "page": page,
                "total_pages": totalPages,
                "has_more": page < totalPages,
            ] as [String: Any],
        ])
    }

    /// One day's totals and breakdowns.
    struct Day {
        var metrics = UsageTotals()
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

        func json(date: String) -> [String: Any] {
            func keyEntry(_ key: String, _ sums: UsageTotals) -> [String: Any] {
                ["metrics": sums.spendMetrics, "metadata": ["key_alias": aliases[key] ?? NSNull(), "team_id": teams[key] ?? NSNull()] as [String: Any]]
            }
            func entry(_ sums: UsageTotals) -> [String: Any] {
                ["metrics": sums.spendMetrics, "metadata": [String: Any](), "api_key_breakdown": [String: Any]()]
            }
            var modelEntries: [String: Any] = [:]
            for (model, value) in models {
                var item = entry(value.metrics)
                item["api_key_breakdown"] = Dictionary(uniqueKeysWithValues: value.keys.map { ($0.key, keyEntry($0.key, $0.value)) })
                modelEntries[model] = item
            }
            return [
                "date": date,
                "metrics": metrics.spendMetrics,
                "breakdown": [
                    "models": modelEntries,
                    "model_groups": [String: Any](),
                    "mcp_servers": [String: Any](),
                    "providers": ["ollama": entry(metrics)],
                    "endpoints": [String: Any](),
                    "api_keys": Dictionary(uniqueKeysWithValues: keys.map { ($0.key, keyEntry($0.key, $0.value)) }),
                    "entities": entities.mapValues { entry($0) },
                ] as [String: Any],
            ]
        }
    }
}
