import Foundation

/// The latency histogram `usage_daily` keeps per day × key × model × user, for total duration and for
/// time to first token, so percentiles can be read from a few aggregate rows instead of the request log.
///
/// Buckets are fixed and log-spaced: the boundaries are 2^(i/3) ms for i = 0…58, i.e. three buckets per
/// doubling (a ratio of 2^(1/3) ≈ 1.26) from 1 ms to 2^(58/3) ≈ 661 s (about 11 minutes). Bucket 0 holds
/// [0, 1 ms), bucket i holds [bound(i-1), bound(i)), and the last bucket holds everything from 661 s up.
/// That is 60 counts per histogram, stored as `bigint[]`; two histograms merge by adding counts.
///
/// PostgreSQL buckets a value with `width_bucket(value, bounds)`, which counts the bounds ≤ value — the
/// same rule as ``bucket(of:)`` — using the literal from ``sqlBounds``, so Swift and SQL agree exactly.
/// The boundaries are part of the stored data: changing them needs a migration that rebuilds the rows.
///
/// **Accuracy.** ``percentile(_:of:)`` finds the bucket holding the nearest-rank percentile exactly and
/// answers that bucket's geometric midpoint. For values from 1 ms to 661 s the answer is therefore within
/// a factor 2^(1/6) ≈ 1.1225 of the true percentile: a relative error of at most 12.25% (−10.9% / +12.25%).
/// Below 1 ms the answer is 0.5 ms (absolute error < 0.5 ms); above 661 s it is 661 s, a lower bound.
enum LatencyHistogram {
    /// Buckets per doubling of latency.
    static let bucketsPerDoubling = 3
    /// Upper bounds of buckets 0…58 in milliseconds (the last bucket, 59, is unbounded).
    static let bounds: [Double] = (0...58).map { pow(2, Double($0) / Double(bucketsPerDoubling)) }
    /// Counts per histogram.
    static var bucketCount: Int { bounds.count + 1 }
    /// The largest factor between a percentile estimate and the true value, inside the bounded range.
    static let maxErrorFactor = pow(2, 1 / Double(2 * bucketsPerDoubling))

    /// The bucket of a latency in milliseconds: how many bounds are ≤ `milliseconds` (NaN counts as 0).
    static func bucket(of milliseconds: Double) -> Int {
        guard milliseconds >= bounds[0] else { return 0 }
        var low = 0
        var high = bounds.count
        // Invariant: bounds[..<low] are ≤ the value, bounds[high...] are greater.
        while low < high {
            let middle = (low + high) / 2
            if bounds[middle] <= milliseconds { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Counts of `samples` per bucket.
    static func counts(_ samples: some Sequence<Double>) -> [Int64] {
        var counts = [Int64](repeating: 0, count: bucketCount)
        for sample in samples { counts[bucket(of: sample)] += 1 }
        return counts
    }

    /// The value reported for bucket `index`: the geometric midpoint of its bounds (see the type's notes).
    static func representative(ofBucket index: Int) -> Double {
        if index <= 0 { return bounds[0] / 2 }
        if index >= bounds.count { return bounds[bounds.count - 1] }
        return (bounds[index - 1] * bounds[index]).squareRoot()
    }

    /// The nearest-rank percentile `fraction` (0 < fraction ≤ 1) of the histogram `counts`, in
    /// milliseconds, or nil when it is empty. Shorter arrays (rows from before histograms) count as zeros.
    static func percentile(_ fraction: Double, of counts: [Int64]) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        // ceil(fraction × total), minus a hair so that 0.95 × 100 (95.00000000000001 in binary) is rank 95.
        let rank = max(1, Int64((fraction * Double(total) - 1e-9).rounded(.up)))
        var seen: Int64 = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return representative(ofBucket: index) }
        }
        return representative(ofBucket: counts.count - 1)
    }

    /// The boundaries as a PostgreSQL `float8[]` literal. Each number is printed with the shortest text
    /// that reads back as the same `Double`, so PostgreSQL's buckets are Swift's buckets.
    static let sqlBounds = "'{" + bounds.map { "\($0)" }.joined(separator: ",") + "}'::float8[]"

    /// Adds `other` into `counts`, element by element, growing `counts` if needed.
    static func add(_ other: [Int64], to counts: inout [Int64]) {
        if counts.count < other.count { counts += [Int64](repeating: 0, count: other.count - counts.count) }
        for (index, count) in other.enumerated() { counts[index] += count }
    }

    /// Parses PostgreSQL's text form of an integer array (`{1,0,NULL,3}`); NULL and junk count as 0.
    static func parse(_ text: String?) -> [Int64] {
        guard let text, text.count >= 2 else { return [] }
        let inner = text.dropFirst().dropLast()
        guard !inner.isEmpty else { return [] }
        return inner.split(separator: ",", omittingEmptySubsequences: false).map { Int64($0) ?? 0 }
    }
}
