/// The command table of sfsh: every command, in help order.
public enum Commands {
    public static let table = CommandTable(
        SessionCommands.all + OrgCommands.all + [CheckCommand.spec] + InspectCommands.all)
}
