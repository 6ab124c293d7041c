/* One entry point per subcommand (runner/cmd_<name>.c). */
#ifndef TP_COMMANDS_H
#define TP_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_claim(int argc, char **argv);
int cmd_credentials(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_extend(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_pool(int argc, char **argv);
int cmd_nuke(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_whoami(int argc, char **argv);

#endif
