/* One entry point per subcommand (runner/cmd_<name>.c). */
#ifndef TP_COMMANDS_H
#define TP_COMMANDS_H

int cmd_whoami(int argc, char **argv);

#endif
