public import JSON

extension SimServer {
    /// The line `sfsim` prints on start: how to reach and log into the org.
    public var startupInfo: JSONValue {
        let admin = org.adminUser
        return .object([
            ("instance_url", .string(baseURL)),
            ("login_url", .string(baseURL)),
            ("username", .string(admin.username)),
            ("password", .string(admin.password)),
            ("security_token", .string(org.configuration.securityToken)),
            ("client_id", .string(org.configuration.clientID)),
            ("client_secret", .string(org.configuration.clientSecret)),
            ("access_token", .string(org.adminAccessToken)),
        ] + (org.configuration.controlEnabled ? [("control_token", .string(org.controlToken))] : []))
    }
}
