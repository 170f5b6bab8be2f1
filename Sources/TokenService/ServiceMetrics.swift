import Metrics
import Prometheus

/// The service's counters and latency histogram, in Prometheus text through swift-metrics.
final class ServiceMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let checks: [String: Metrics.Counter]
    private let latency: Metrics.Timer

    static let endpoints = ["check", "introspect", "refresh"]
    static let outcomes = ["good", "missing", "invalid_token", "insufficient_scope", "unavailable"]

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .seconds(1),
        ]
        var checks: [String: Metrics.Counter] = [:]
        for endpoint in Self.endpoints {
            for outcome in Self.outcomes {
                checks["\(endpoint) \(outcome)"] = Metrics.Counter(
                    label: "apitokens_checks_total", dimensions: [("endpoint", endpoint), ("outcome", outcome)], factory: factory)
            }
        }
        self.checks = checks
        latency = Metrics.Timer(label: "apitokens_check_duration_seconds", factory: factory)
    }

    /// Counts one answer of an endpoint and how long it took.
    func record(_ endpoint: String, _ outcome: String, started: ContinuousClock.Instant) {
        checks["\(endpoint) \(outcome)"]?.increment()
        latency.record(duration: ContinuousClock.now - started)
    }

    /// Everything, in the Prometheus text exposition format.
    func exposition() -> String { registry.emitToString() }
}
