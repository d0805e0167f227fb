#define _GNU_SOURCE 1
#include <sched.h>
#include "CLingerLinux.h"

int clinger_unshare_network(void) { return unshare(CLONE_NEWNET); }
