import Foundation
import Crypto
import CryptoExtras
import SwiftASN1
import X509

/// An RSA key and a self-signed certificate of it, as a connected app for the JWT bearer flow holds them:
/// the certificate goes to sfsim's app, the private key to `login --jwt --key`.
public struct TestKeyPair: Sendable {
    public let privateKeyPEM: String
    public let certificatePEM: String

    /// A new 2048-bit pair (the smallest RSA key swift-crypto signs with).
    public static func make(commonName: String = "sfsh test") throws -> TestKeyPair {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        let certificate = try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: certificateKey.publicKey,
                                          notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
                                          issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption,
                                          extensions: Certificate.Extensions {}, issuerPrivateKey: certificateKey)
        return TestKeyPair(privateKeyPEM: key.pemRepresentation, certificatePEM: try certificate.serializeAsPEM().pemString)
    }

    /// One pair shared by a test run (a key takes a moment to make).
    public static let shared: TestKeyPair = try! make()
}
