import Hummingbird
import NIOCore

/// `GET /metrics`: Prometheus text format. Unauthenticated, like most scrape targets: it holds counts
/// and latencies, no keys; keep the port off the internet (the compose file publishes only Tollgate's
/// API port, which is also this one, so restrict `/metrics` at your proxy if the API is public).
struct MetricsRoute: Sendable {
    let metrics: GatewayMetrics
    /// Components whose gauges are read now, just before the exposition is written.
    let gauges: [any ScrapeTimeGauges]

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        for source in gauges { source.updateGauges(metrics) }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
        )
    }
}
