import Dialects
import Foundation

/// One value at one time: the start of the bucket (hour, day) it sums.
struct ChartPoint: Sendable, Equatable {
    var time: Date
    var value: Double
}

/// A named run of points, drawn in the colour of its place in the chart (`series-0`, `series-1`, …).
struct ChartSeries: Sendable {
    var name: String
    var points: [ChartPoint]
}

/// Draws a time chart as inline SVG: a y axis from 0 with round tick values, x ticks at whole hours or
/// days in the chart's time zone, and bars (one series) or lines (several). Pure: the same input gives
/// the same markup, which the unit tests read.
///
/// The x axis spans `range` whatever the data, so an empty bucket is a gap and a chart of an idle day
/// still has its axes; points outside `range`, and values that are not finite or are negative, are left
/// out. Colours come from the stylesheet through class names; there is no inline style (the pages'
/// Content-Security-Policy has no `'unsafe-inline'`).
struct SVGChart: Sendable {
    enum Kind: Sendable { case bars, lines }

    var title: String
    var kind: Kind
    /// The window shown: its start and its end.
    var range: ClosedRange<Date>
    /// What each bucket spans (3600 for hourly points, 86400 for daily ones).
    var step: TimeInterval
    var timeZone: TimeZone
    var width = 480.0
    var height = 170.0
    /// How y values are written on the axis and in tooltips.
    var format: @Sendable (Double) -> String = { UIFormat.compact($0) }

    private let left = 52.0, right = 8.0, top = 10.0, bottom = 22.0
    private var plotWidth: Double { width - left - right }
    private var plotHeight: Double { height - top - bottom }

    init(title: String, kind: Kind, range: ClosedRange<Date>, step: TimeInterval, timeZone: TimeZone) {
        self.title = title
        self.kind = kind
        self.range = range
        self.step = step
        self.timeZone = timeZone
    }

    func render(_ series: [ChartSeries]) -> HTML {
        let kept = series.map { ChartSeries(name: $0.name, points: $0.points.filter(accepts)) }
        let maximum = kept.flatMap(\.points).map(\.value).max() ?? 0
        let ticks = Self.yTicks(maximum: maximum)
        let yTop = ticks.last ?? 1
        let id = "chart-" + String(title.lowercased().unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "-" })
        var parts: [HTML] = []
        parts.append("<title id=\"\(id)\">\(title)</title>")
        // The y axis: grid lines and labels.
        for tick in ticks {
            let y = yPosition(tick, top: yTop)
            parts.append(
                "<line class=\"grid\" x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(width - right))\" y2=\"\(n(y))\"/><text class=\"axis\" x=\"\(n(left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(format(tick))</text>"
            )
        }
        // The x axis: ticks at whole hours or days of the chart's zone.
        parts.append("<line class=\"axis-line\" x1=\"\(n(left))\" y1=\"\(n(top + plotHeight))\" x2=\"\(n(width - right))\" y2=\"\(n(top + plotHeight))\"/>")
        for tick in xTicks() {
            let x = xPosition(tick.time)
            // A label at either end of the axis is aligned inwards, so that it is not cut off.
            let anchor = x > width - right - 20 ? "end" : x < left + 20 ? "start" : "middle"
            parts.append(
                "<line class=\"tick\" x1=\"\(n(x))\" y1=\"\(n(top + plotHeight))\" x2=\"\(n(x))\" y2=\"\(n(top + plotHeight + 4))\"/><text class=\"axis\" x=\"\(n(x))\" y=\"\(n(height - 6))\" text-anchor=\"\(anchor)\">\(tick.label)</text>"
            )
        }
        if kept.allSatisfy(\.points.isEmpty) {
            parts.append("<text class=\"empty\" x=\"\(n(left + plotWidth / 2))\" y=\"\(n(top + plotHeight / 2))\" text-anchor=\"middle\">No data in this period</text>")
        } else {
            switch kind {
            case .bars: parts.append(contentsOf: bars(kept, top: yTop))
            case .lines: parts.append(contentsOf: lines(kept, top: yTop))
            }
        }
        let legend: HTML =
            kept.count > 1
            ? "<p class=\"legend\">\(kept.enumerated().map { "<span class=\"key series-\(String($0.offset))\">\($0.element.name)</span>" as HTML })</p>"
            : ""
        return """
            <figure class="chart"><figcaption>\(title)</figcaption><svg class="chart" viewBox="0 0 \(n(width)) \(n(height))" role="img" aria-labelledby="\(id)" preserveAspectRatio="none">\(parts)</svg>\(legend)</figure>
            """
    }

    // MARK: Geometry

    private func accepts(_ point: ChartPoint) -> Bool {
        point.value.isFinite && point.value >= 0 && range.contains(point.time)
    }

    private var span: TimeInterval { max(range.upperBound.timeIntervalSince(range.lowerBound), 1) }

    func xPosition(_ time: Date) -> Double {
        left + plotWidth * time.timeIntervalSince(range.lowerBound) / span
    }

    func yPosition(_ value: Double, top yTop: Double) -> Double {
        top + plotHeight - plotHeight * value / yTop
    }

    private func bars(_ series: [ChartSeries], top yTop: Double) -> [HTML] {
        guard let only = series.first else { return [] }
        let barWidth = max(1, plotWidth * step / span - 1)
        return only.points.map { point in
            let x = xPosition(point.time)
            let y = yPosition(point.value, top: yTop)
            let label = UIFormat.time(point.time, zone: timeZone) + ": " + format(point.value)
            return
                "<rect class=\"bar series-0\" x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(min(barWidth, width - right - x)))\" height=\"\(n(top + plotHeight - y))\"><title>\(label)</title></rect>"
        }
    }

    private func lines(_ series: [ChartSeries], top yTop: Double) -> [HTML] {
        series.enumerated().flatMap { index, line -> [HTML] in
            let points = line.points.sorted { $0.time < $1.time }
                .map { (x: xPosition($0.time.addingTimeInterval(step / 2)), y: yPosition($0.value, top: yTop), point: $0) }
            let path = points.map { n($0.x) + "," + n($0.y) }.joined(separator: " ")
            let dots = points.map { item -> HTML in
                let label = line.name + " " + UIFormat.time(item.point.time, zone: timeZone) + ": " + format(item.point.value)
                return "<circle class=\"dot series-\(String(index))\" cx=\"\(n(item.x))\" cy=\"\(n(item.y))\" r=\"2.5\"><title>\(label)</title></circle>"
            }
            return ["<polyline class=\"line series-\(String(index))\" points=\"\(path)\"/>"] + dots
        }
    }

    // MARK: Ticks

    /// Round values from 0 to at least `maximum`: 0, 1, 2, 2.5 or 5 times a power of ten apart, four or five steps.
    static func yTicks(maximum: Double) -> [Double] {
        guard maximum.isFinite, maximum > 0 else { return [0, 1] }
        let raw = maximum / 4
        let magnitude = pow(10, floor(log10(raw)))
        let residual = raw / magnitude
        let step = magnitude * (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 2.5 ? 2.5 : residual <= 5 ? 5 : 10)
        let count = Int((maximum / step).rounded(.up))
        return (0...max(count, 1)).map { Double($0) * step }
    }

    /// Tick times and labels: every few whole hours (`HH:mm`) for a window of two days or less, else
    /// every few whole days (`MM-dd`), counted in the chart's time zone; about six ticks.
    func xTicks() -> [(time: Date, label: String)] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let hourly = span <= 2 * 86_400
        let unit: Calendar.Component = hourly ? .hour : .day
        let unitSeconds: Double = hourly ? 3600 : 86_400
        let every = max(1, Int((span / unitSeconds / 6).rounded(.up)))
        let startUnit = calendar.dateInterval(of: unit, for: range.lowerBound)?.start ?? range.lowerBound
        var ticks: [(Date, String)] = []
        var index = 0
        while let time = calendar.date(byAdding: unit, value: index, to: startUnit), time <= range.upperBound, ticks.count <= 64 {
            index += 1
            guard time >= range.lowerBound else { continue }
            let parts = calendar.dateComponents([.month, .day, .hour, .minute], from: time)
            let ordinal = hourly ? (parts.hour ?? 0) : (calendar.ordinality(of: .day, in: .era, for: time) ?? 0)
            guard ordinal % every == 0 else { continue }
            let label =
                hourly
                ? String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
                : String(format: "%02d-%02d", parts.month ?? 0, parts.day ?? 0)
            ticks.append((time, label))
        }
        return ticks
    }

    /// A coordinate with at most one decimal.
    private func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
