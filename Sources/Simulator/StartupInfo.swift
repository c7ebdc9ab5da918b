public import JSON

extension SimServer {
    /// The line `sfsim` prints on start: how to reach and log into the org.
    public var startupInfo: JSONValue {
        let admin = org.adminUser
        return .object([
            ("instance_url", .string(baseURL)),
            // The login host (as login.salesforce.com) on the same port: the grants only a My Domain host takes
            // (client credentials) are refused there, and a JWT audience of the instance host is refused.
            ("login_url", .string(org.loginHostURL)),
            ("username", .string(admin.username)),
            ("password", .string(admin.password)),
            ("security_token", .string(org.configuration.securityToken)),
            ("client_id", .string(org.configuration.clientID)),
            ("client_secret", .string(org.configuration.clientSecret)),
            ("access_token", .string(org.adminAccessToken)),
        ] + (org.configuration.controlEnabled ? [("control_token", .string(org.controlToken))] : []))
    }
}
