/// How long a write sent by a process that died (or whose answer was lost) may still take to land before
/// the job looks for it: twice the slowest POST the job made in the last 24 h, at least 2 s, at most 150 s.
/// The export settles lost creates by it, the write-back lost Notes.
public enum SettleWindow {
    public static let floor: Double = 2
    public static let ceiling: Double = 150

    /// - Parameter postSeconds: the durations of the job's POSTs in the last 24 h.
    public static func seconds(postSeconds: [Double]) -> Double {
        let slowest = postSeconds.filter(\.isFinite).max() ?? 0
        return min(max(floor, 2 * slowest), ceiling)
    }
}
