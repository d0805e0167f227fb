// Linux interfaces that Swift's Glibc module does not import. The header declares
// plain functions only: pulling Linux headers in here would clash with Glibc's
// module, so everything that needs them stays in the .c file.
#ifndef CLINGER_LINUX_H
#define CLINGER_LINUX_H

/// Moves the calling thread into a new, empty network namespace (unshare(CLONE_NEWNET)).
/// Returns 0, or -1 with errno set.
int clinger_unshare_network(void);

#endif
