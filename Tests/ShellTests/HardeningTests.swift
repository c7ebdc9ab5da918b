import Foundation
import JSON
import Testing
@testable import Shell

/// Issue 9: secrets judged after lexing, whatever else is wrong with the line;
/// control characters from anywhere shown, never obeyed.
@Suite struct SecretLineTests {
    @Test(arguments: [
        ("set --json client_secret S3CRET", ["S3CRET"]),
        ("set -- client_secret S3CRET", ["S3CRET"]),
        ("set 'client_secret' S3CRET", ["S3CRET"]),
        ("st client_secret S3CRET", ["S3CRET"]),
        ("login --password hunter2", ["hunter2"]),
        ("login --token 00Dabc!xyz --instance https://x.my.salesforce.com", ["00Dabc!xyz"]),
        ("lgin --token=00Dabc!xyz", ["00Dabc!xyz"]),
        ("login --client-secret shh --alias prod", ["shh"]),
        ("echo a; login --token T0K", ["T0K"]),
        ("login --password --alias prod", []),
        ("set client_secret", []),
        ("set client_id visible", []),
        ("echo --tokens are words", []),
    ])
    func secretValuesOnALine(line: String, secrets: [String]) throws {
        #expect(SecretWords.values(inLine: line) == secrets)
        let session = try Harness().session
        #expect(session.isSecretLine(line) == !secrets.isEmpty)
    }

    @Test(arguments: [
        "login --password hunter2",
        "set --json client_secret hunter2",
        "set -- client_secret hunter2 extra",
        "lgin --token hunter2",
        "login --token 'hunter2",
    ])
    func aSecretIsNeverEchoedInAnError(line: String) async throws {
        let harness = try Harness()
        let (out, err, _) = await harness.run(line + "\nshow settings --json\nhistory")
        // The value is stored (where the line is valid) but never printed.
        #expect(!out.contains("hunter2") && !err.contains("hunter2"), "\(err)")
    }

    @Test func controlCharactersInMessagesAreShownNotObeyed() async throws {
        let harness = try Harness()
        let (_, err, _) = await harness.run("nosuch\u{1B}[2J\u{07}command")
        #expect(!err.contains("\u{1B}") && !err.contains("\u{07}"))
        #expect(err.contains("\\x1B[2J"))
    }
}
