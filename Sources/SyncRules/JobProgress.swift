/// How far a running job is and how long it has left: one rule for every job's progress line.
public enum JobProgress {
    /// Items per second since the run started (`elapsed` is floored at a millisecond).
    public static func rate(done: Int, elapsed: Double) -> Double {
        Double(max(done, 0)) / max(elapsed, 0.001)
    }

    /// Seconds left at this rate: nil while the total is unknown or nothing is done yet, 0 when all is done.
    public static func eta(done: Int, total: Int?, elapsed: Double) -> Double? {
        guard let total else { return nil }
        let left = max(total - done, 0)
        if left == 0 { return 0 }
        let rate = rate(done: done, elapsed: elapsed)
        return rate > 0 ? Double(left) / rate : nil
    }
}
