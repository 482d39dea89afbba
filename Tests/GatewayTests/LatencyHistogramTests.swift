import Foundation
import Testing
@testable import Gateway

@Suite("LatencyHistogram")
struct LatencyHistogramTests {
    @Test func boundsAreThreePerDoublingFromOneMillisecondToElevenMinutes() {
        #expect(LatencyHistogram.bounds.count == 59)
        #expect(LatencyHistogram.bucketCount == 60)
        #expect(LatencyHistogram.bounds.first == 1)
        #expect(LatencyHistogram.bounds[3] == 2)
        #expect(LatencyHistogram.bounds[30] == 1024)
        #expect(abs(LatencyHistogram.bounds.last! - 660_561) < 1, "about 11 minutes")
        for (lower, upper) in zip(LatencyHistogram.bounds, LatencyHistogram.bounds.dropFirst()) {
            #expect(abs(upper / lower - pow(2, 1.0 / 3)) < 1e-9)
        }
    }

    @Test func bucketCountsTheBoundsAtOrBelowTheValue() {
        #expect(LatencyHistogram.bucket(of: 0) == 0)
        #expect(LatencyHistogram.bucket(of: -5) == 0)
        #expect(LatencyHistogram.bucket(of: .nan) == 0)
        #expect(LatencyHistogram.bucket(of: 0.999) == 0)
        #expect(LatencyHistogram.bucket(of: 1) == 1, "a bound belongs to the bucket above it, like width_bucket")
        #expect(LatencyHistogram.bucket(of: 1.5) == 2)
        #expect(LatencyHistogram.bucket(of: 2) == 4)
        #expect(LatencyHistogram.bucket(of: 1e9) == 59)
        #expect(LatencyHistogram.bucket(of: .infinity) == 59)
        for (index, bound) in LatencyHistogram.bounds.enumerated() {
            #expect(LatencyHistogram.bucket(of: bound) == index + 1)
            #expect(LatencyHistogram.bucket(of: bound.nextDown) == index)
        }
    }

    @Test func percentilesOfAKnownHistogram() throws {
        // 90 samples at 10 ms, 9 at 100 ms, 1 at 1000 ms.
        let samples = Array(repeating: 10.0, count: 90) + Array(repeating: 100.0, count: 9) + [1000.0]
        let counts = LatencyHistogram.counts(samples)
        #expect(counts.reduce(0, +) == 100)
        let p50 = try #require(LatencyHistogram.percentile(0.5, of: counts))
        let p95 = try #require(LatencyHistogram.percentile(0.95, of: counts))
        let p99 = try #require(LatencyHistogram.percentile(0.99, of: counts))
        let p100 = try #require(LatencyHistogram.percentile(1, of: counts))
        let factor = LatencyHistogram.maxErrorFactor
        #expect(p50 / 10 <= factor && 10 / p50 <= factor)
        #expect(p95 / 100 <= factor && 100 / p95 <= factor)
        #expect(p99 / 100 <= factor && 100 / p99 <= factor, "rank 99 of 100 is still a 100 ms sample")
        #expect(p100 / 1000 <= factor && 1000 / p100 <= factor)
        #expect(LatencyHistogram.percentile(0.5, of: []) == nil)
        #expect(LatencyHistogram.percentile(0.5, of: [0, 0, 0]) == nil)
    }

    @Test func errorBoundHoldsForRandomSamples() throws {
        var generator = SeededGenerator(seed: 42)
        #expect(abs(LatencyHistogram.maxErrorFactor - 1.1225) < 0.0001)
        for _ in 0..<50 {
            let count = Int.random(in: 1...2000, using: &generator)
            // Log-uniform latencies from 1 ms to 600 s: every bounded bucket gets used.
            let samples = (0..<count).map { _ in exp(Double.random(in: 0...log(600_000), using: &generator)) }
            let sorted = samples.sorted()
            let counts = LatencyHistogram.counts(samples)
            for fraction in [0.5, 0.9, 0.95, 0.99, 0.999] {
                let rank = max(1, Int((fraction * Double(count) - 1e-9).rounded(.up)))
                let exact = sorted[rank - 1]
                let estimate = try #require(LatencyHistogram.percentile(fraction, of: counts))
                #expect(estimate / exact <= LatencyHistogram.maxErrorFactor + 1e-12, "p\(fraction) of \(count): \(estimate) vs \(exact)")
                #expect(exact / estimate <= LatencyHistogram.maxErrorFactor + 1e-12, "p\(fraction) of \(count): \(estimate) vs \(exact)")
            }
        }
    }

    @Test func belowAndAboveTheRange() {
        #expect(LatencyHistogram.percentile(0.5, of: LatencyHistogram.counts([0.2, 0.3])) == 0.5)
        #expect(LatencyHistogram.percentile(0.5, of: LatencyHistogram.counts([5_000_000])) == LatencyHistogram.bounds.last)
    }

    @Test func sqlLiteralReadsBackAsTheSameBounds() throws {
        let literal = LatencyHistogram.sqlBounds
        #expect(literal.hasPrefix("'{1.0,"))
        #expect(literal.hasSuffix("}'::float8[]"))
        let inner = literal.dropFirst(2).dropLast("}'::float8[]".count)
        let numbers = inner.split(separator: ",").map { Double($0) }
        #expect(numbers == LatencyHistogram.bounds.map { Optional($0) })
    }

    @Test func parseAndAdd() {
        #expect(LatencyHistogram.parse("{1,0,NULL,3}") == [1, 0, 0, 3])
        #expect(LatencyHistogram.parse("{}") == [])
        #expect(LatencyHistogram.parse(nil) == [])
        var counts: [Int64] = [1, 2]
        LatencyHistogram.add([10, 20, 30], to: &counts)
        #expect(counts == [11, 22, 30])
        LatencyHistogram.add([], to: &counts)
        #expect(counts == [11, 22, 30])
    }
}

/// A small deterministic generator (SplitMix64), so the random test is repeatable.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
