import Foundation
import Hummingbird

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

    func activity(_ request: Request, entity: DailyActivity.Entity) async throws -> Response {
        let parameters = UsageParameters(request)
        var filter = UsageStore.DailyFilter(days: try parameters.dayRange(today: UsageDay(containing: now())))
        filter.keyID = try await parameters.keyID { try await store.keyID(hash: $0) }
        filter.userID = parameters.string("user_id")
        filter.teamID = parameters.string("team_id")
        filter.endUser = parameters.endUser
        if let model = parameters.string("model") { filter.models = await UsageReportRoutes.servedNames(model, catalog: catalog) }
        let page = try parameters.integer("page", in: 1...1_000_000, default: 1)
        let pageSize = try parameters.integer("page_size", in: 1...1000, default: 1000)

        let aggregates = try await store.aggregate(filter, by: [.day, .key, .user, .model, .team, .endUser], histograms: false)
        return DailyActivity(aggregates, entity: entity, page: page, pageSize: pageSize).response()
    }
}
