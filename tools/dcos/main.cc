// dcos: the command-line client of the cluster. All of it is in tools/dcos:cli.
#include "tools/dcos/cli.h"

int main(int argc, char** argv) { return dcos::cli::Main(argc, argv); }
