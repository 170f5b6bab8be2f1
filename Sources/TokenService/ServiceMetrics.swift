import Metrics
import Prometheus

/// The service's counters and latency histogram, in Prometheus text through swift-metrics.
final class ServiceMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    /// One counter per endpoint and outcome, looked up without building a string per request.
    private let checks: [[Metrics.Counter]]
    private let latency: Metrics.Timer

    static let endpoints = ["check", "introspect", "refresh"]
    static let outcomes = ["good", "missing", "invalid_token", "insufficient_scope", "unavailable"]

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .seconds(1),
        ]
        checks = Self.endpoints.map { endpoint in
            Self.outcomes.map { outcome in
                Metrics.Counter(label: "apitokens_checks_total", dimensions: [("endpoint", endpoint), ("outcome", outcome)], factory: factory)
            }
        }
        latency = Metrics.Timer(label: "apitokens_check_duration_seconds", factory: factory)
    }

    /// Counts one answer of an endpoint and how long it took.
    func record(_ endpoint: String, _ outcome: String, started: ContinuousClock.Instant) {
        if let row = Self.endpoints.firstIndex(of: endpoint), let column = Self.outcomes.firstIndex(of: outcome) {
            checks[row][column].increment()
        }
        latency.record(duration: ContinuousClock.now - started)
    }

    /// Everything, in the Prometheus text exposition format.
    func exposition() -> String { registry.emitToString() }
}
