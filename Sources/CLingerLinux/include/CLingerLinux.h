// Linux interfaces that Swift's Glibc module does not import. The header declares
// plain functions only: pulling Linux headers in here would clash with Glibc's
// module, so everything that needs them stays in the .c file. Every function is a
// thin wrapper: one system call (or a fixed short sequence of them), no policy.
// On other systems each returns -1 with errno ENOSYS.
#ifndef CLINGER_LINUX_H
#define CLINGER_LINUX_H

#include <stddef.h>
#include <stdint.h>

/// Moves the calling thread into a new, empty network namespace (unshare(CLONE_NEWNET)).
/// Returns 0, or -1 with errno set.
int clinger_unshare_network(void);

/// The calling thread's kernel thread id (gettid()).
int clinger_gettid(void);

/// Gives the calling thread a descriptor table of its own holding only the
/// descriptors below `first_dropped` (close_range(first_dropped, ~0U,
/// CLOSE_RANGE_UNSHARE): the copy never takes a reference on the others, so no other
/// thread's close can end up releasing a file in this one). Threads it creates later
/// share the new table; the process's other threads keep the old one. Returns 0, or
/// -1 with errno.
int clinger_unshare_descriptor_table(unsigned int first_dropped);

// MARK: TUN device

/// Opens /dev/net/tun (close-on-exec) and attaches it to a new TUN device called
/// `name` with IFF_TUN | IFF_NO_PI | IFF_VNET_HDR. Returns the fd, or -1 with errno.
int clinger_tun_create(const char *name);

/// Offloads a TUN device accepts, like a typical Ethernet device: partial checksums
/// and TSO for IPv4, IPv6 and ECN (TUNSETOFFLOAD). Returns 0, or -1 with errno.
int clinger_tun_set_offloads(int tun_fd);

/// Bytes of the virtio_net_hdr that precedes each packet on an IFF_VNET_HDR device.
int clinger_tun_vnet_header_size(void);

// MARK: Packet socket (sniffing what the kernel sends on a device)

/// Opens a packet socket (PF_PACKET, SOCK_RAW, all protocols, close-on-exec) bound to
/// device `name`, with a `receive_buffer_bytes` receive buffer, software receive
/// timestamps (SO_TIMESTAMPNS) and a virtio_net_hdr before each packet
/// (PACKET_VNET_HDR), so partial checksums can be completed. Returns the fd, or -1
/// with errno.
int clinger_packet_socket_open(const char *name, int receive_buffer_bytes);

/// Receives one packet from a packet socket without waiting (MSG_DONTWAIT). The
/// buffer gets the virtio_net_hdr and then the packet (truncated to `capacity`).
/// Returns the full length (header included; more than `capacity` when truncated),
/// or -1 with errno (EAGAIN: nothing queued). `packet_type` gets sll_pkttype
/// (PACKET_OUTGOING is 4), `realtime_ns` the kernel's CLOCK_REALTIME timestamp of
/// the packet in nanoseconds (0 when none came).
int clinger_packet_socket_receive(int fd, uint8_t *buffer, int capacity, int *packet_type, int64_t *realtime_ns);

/// CLOCK_REALTIME and then CLOCK_MONOTONIC, in nanoseconds, read back to back.
void clinger_realtime_and_monotonic(int64_t *realtime_ns, int64_t *monotonic_ns);

// MARK: Interface configuration (ioctls on a datagram socket of the right family)

/// Sets an interface's MTU (SIOCSIFMTU). Returns 0, or -1 with errno.
int clinger_interface_set_mtu(int socket_fd, const char *name, int mtu);

/// Sets IFF_UP and IFF_RUNNING on an interface (SIOCGIFFLAGS, SIOCSIFFLAGS).
int clinger_interface_set_up(int socket_fd, const char *name);

/// Adds an IPv4 address with a prefix length (SIOCSIFADDR, SIOCSIFNETMASK) on an
/// AF_INET socket. `address` is in host byte order.
int clinger_interface_set_ipv4_address(int socket_fd, const char *name, uint32_t address, int prefix_length);

/// Adds an IPv6 address with a prefix length (SIOCSIFADDR on an AF_INET6 socket).
int clinger_interface_add_ipv6_address(int socket_fd, int interface_index, const uint8_t address[16],
                                       int prefix_length);

/// Adds an IPv4 route to `destination`/`prefix_length` on device `name`, through
/// `gateway` when `use_gateway` is nonzero (SIOCADDRT). Addresses in host byte order.
int clinger_route_add_ipv4(int socket_fd, const char *name, uint32_t destination, int prefix_length,
                           uint32_t gateway, int use_gateway);

/// Adds an IPv6 route (SIOCADDRT with in6_rtmsg) on an AF_INET6 socket.
int clinger_route_add_ipv6(int socket_fd, int interface_index, const uint8_t destination[16], int prefix_length,
                           const uint8_t gateway[16], int use_gateway);

// MARK: System calls Swift does not import (variadic or GNU-only)

/// accept4(fd, address, length, flags).
int clinger_accept4(int fd, void *address, uint32_t *length, int flags);

/// pipe2(fds, flags).
int clinger_pipe2(int fds[2], int flags);

/// fcntl(fd, command, argument).
int clinger_fcntl(int fd, int command, long argument);

/// dup3(old_fd, new_fd, flags).
int clinger_dup3(int old_fd, int new_fd, int flags);

/// ioctl(fd, request, &value) for requests that read or write one int.
int clinger_ioctl_int(int fd, unsigned long request, int *value);

/// epoll_create(size).
int clinger_epoll_create(int size);

/// epoll_create1(flags).
int clinger_epoll_create1(int flags);

/// epoll_ctl(epfd, op, fd, event); the event is NULL when `has_event` is zero.
int clinger_epoll_ctl(int epoll_fd, int operation, int fd, int has_event, uint32_t events, uint64_t data);

/// epoll_wait(epfd, events, max_events, timeout) into a temporary array of
/// `capacity` entries (NULL when zero), copied out to `events_out` and `data_out`
/// (each with room for `capacity` values). `max_events` is passed unchanged.
int clinger_epoll_wait(int epoll_fd, int max_events, int capacity, int timeout_ms, uint32_t *events_out,
                       uint64_t *data_out);

/// ppoll() on one descriptor with a timeout in nanoseconds (negative: none).
/// Returns what ppoll returns; `revents` gets the entry's revents.
int clinger_poll_one(int fd, short events, long long timeout_ns, short *revents);

// MARK: Signals and processes

/// The signal the backend uses to interrupt its own blocked system call thread.
int clinger_interrupt_signal(void);

/// Makes SIGPIPE harmless (SIG_IGN, as packetdrill does, unless the process already
/// handles it) and installs an empty handler, without SA_RESTART, for the interrupt
/// signal. Returns 0, or -1 with errno.
int clinger_install_signal_handlers(void);

/// Unblocks the interrupt signal for the calling thread (threads inherit the signal
/// mask of their creator, and libdispatch's worker threads block most signals).
int clinger_unblock_interrupt_signal(void);

/// Sends the interrupt signal to a thread of this process (tgkill).
int clinger_interrupt_thread(int thread_id);

/// Spawns `/bin/sh -c command` in `directory` from the calling thread (so in its
/// network namespace) with stdin from /dev/null, stdout and stderr to `output_fd`,
/// no other descriptors, default signal dispositions and an empty signal mask. The
/// environment is this process's, with PACKETDRILL_PID set to its process id as
/// packetdrill sets it for its commands.
/// Returns 0 and the child's pid, or an errno value.
int clinger_spawn_shell(const char *command, const char *directory, int output_fd, int *pid);

/// Bytes malloc has handed out and not had back (mallinfo2's uordblks + hblkhd).
size_t clinger_malloc_allocated_bytes(void);

#endif
