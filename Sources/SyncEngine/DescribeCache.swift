public import SalesforceModel
public import Foundation
public import Salesforce
public import Store

/// Describes cached in the store per org with their fetch time (SPEC §5):
/// used without a call while fresh, revalidated with If-Modified-Since (a 304
/// costs no data) when stale or asked to.
public struct DescribeCache: Sendable {
    public let store: Store
    public let clock: any EngineClock
    /// How long a cached describe is used without asking Salesforce.
    public static let freshness: TimeInterval = 3600

    public init(store: Store, clock: any EngineClock) {
        self.store = store
        self.clock = clock
    }

    /// The describe of `object` in `org`: from the cache while fresh, else
    /// fetched (or revalidated) through `client`.
    public func describe(_ object: String, org: String, client: SalesforceClient, revalidate: Bool = false)
        async throws(EngineError) -> SObjectDescribe
    {
        let cached: CachedDescribe?
        do { cached = try store.cachedDescribe(org: org, object: object) } catch { throw EngineError(error) }
        let now = clock.now()
        if let cached, !revalidate, now.timeIntervalSince(cached.fetchedAt) < Self.freshness,
           let parsed = try? SObjectDescribe.parse(cached.body) {
            return parsed
        }
        let result: SalesforceClient.DescribeResult
        do { result = try await client.describe(object, ifModifiedSince: cached?.lastModified, ifNoneMatch: cached?.etag) } catch {
            throw EngineError(error, doing: "describe \(object)")
        }
        switch result {
        case .notModified:
            guard let cached, let parsed = try? SObjectDescribe.parse(cached.body) else {
                throw EngineError(.failure, "Salesforce answered 304 for \(object) but the cached describe is unreadable",
                                  hint: "run 'describe \(object)' again after 'objects --refresh'")
            }
            do { try store.touchDescribe(org: org, object: object, at: now) } catch { throw EngineError(error) }
            return parsed
        case let .fresh(describe, raw, lastModified, etag):
            do {
                try store.cacheDescribe(org: org, object: describe.name, body: raw, fetchedAt: now, lastModified: lastModified, etag: etag)
            } catch { throw EngineError(error) }
            return describe
        }
    }

    /// Whether `describe(object, …, revalidate:)` now would make a call (nothing fresh and readable cached): a plan's
    /// describe call.
    public func needsCall(_ object: String, org: String, revalidate: Bool = false) -> Bool {
        guard !revalidate, let cached = (try? store.cachedDescribe(org: org, object: object)) ?? nil else { return true }
        return clock.now().timeIntervalSince(cached.fetchedAt) >= Self.freshness || (try? SObjectDescribe.parse(cached.body)) == nil
    }

    /// The raw cached describe body (for `describe --json`).
    public func cachedBody(_ object: String, org: String) -> Data? {
        (try? store.cachedDescribe(org: org, object: object))??.body
    }

    /// The cached global describe, if any (no call).
    public func cachedGlobal(org: String) -> GlobalDescribe? {
        guard let cached = (try? store.cachedDescribe(org: org, object: Store.globalDescribeKey)) ?? nil else { return nil }
        return try? GlobalDescribe.parse(cached.body)
    }

    /// The global describe: cached, fetched when missing, revalidated with If-Modified-Since when `refresh`
    /// (a 304 keeps the cached list and costs no data).
    public func globalDescribe(org: String, client: SalesforceClient, refresh: Bool = false) async throws(EngineError) -> GlobalDescribe {
        let stored = (try? store.cachedDescribe(org: org, object: Store.globalDescribeKey)) ?? nil
        let cached = stored.flatMap { try? GlobalDescribe.parse($0.body) }
        if !refresh, let cached { return cached }
        let answer: (GlobalDescribe, lastModified: String?)?
        do { answer = try await client.describeGlobal(ifModifiedSince: cached == nil ? nil : stored?.lastModified) } catch {
            throw EngineError(error, doing: "describe global")
        }
        guard let (global, lastModified) = answer else {
            guard let cached else { throw EngineError(.failure, "Salesforce answered 304 for the global describe but none is cached") }
            do { try store.touchDescribe(org: org, object: Store.globalDescribeKey, at: clock.now()) } catch { throw EngineError(error) }
            return cached
        }
        do {
            let body = try JSONEncoder().encode(global)
            try store.cacheDescribe(org: org, object: Store.globalDescribeKey, body: body, fetchedAt: clock.now(),
                                    lastModified: lastModified)
        } catch let error as StoreError {
            throw EngineError(error)
        } catch {
            throw EngineError(.failure, "cannot cache the global describe: \(error)")
        }
        return global
    }
}
