/// Something whose gauges are read when `/metrics` is scraped, instead of being set on every change.
///
/// A gauge that follows per-request state (calls in flight, cache sizes) would otherwise be written on
/// every request for the sake of a scrape every few seconds; read at scrape time it costs nothing between
/// scrapes and is never stale when read.
protocol ScrapeTimeGauges: Sendable {
    /// Sets this component's gauges to their values now.
    func updateGauges(_ metrics: GatewayMetrics)
}
