#define _GNU_SOURCE 1
#include "CLingerLinux.h"

#ifdef __linux__

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

int clinger_unshare_network(void) { return unshare(CLONE_NEWNET); }

int clinger_gettid(void) { return (int)syscall(SYS_gettid); }

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define CLINGER_CLOSE_RANGE_UNSHARE (1U << 1)

int clinger_unshare_descriptor_table(unsigned int first_dropped) {
    return (int)syscall(SYS_close_range, first_dropped, ~0U, CLINGER_CLOSE_RANGE_UNSHARE);
}

// MARK: TUN device

int clinger_tun_create(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int clinger_tun_set_offloads(int tun_fd) {
    unsigned long offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    return ioctl(tun_fd, TUNSETOFFLOAD, offloads);
}

int clinger_tun_vnet_header_size(void) { return (int)sizeof(struct virtio_net_hdr); }

// MARK: Packet socket

int clinger_packet_socket_open(const char *name, int receive_buffer_bytes) {
    int fd = socket(PF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return -1;
    int on = 1;
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = (int)if_nametoindex(name);
    // Only what the host sends: an inbound packet a packet socket keeps would be
    // a clone of the skb TCP queues, and TCP does not coalesce into cloned skbs
    // (packetdrill filters the same way, by source address).
    struct sock_filter outgoing_only[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0x40000),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog program = {.len = sizeof outgoing_only / sizeof outgoing_only[0], .filter = outgoing_only};
    if (address.sll_ifindex == 0
        || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0
        || setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof on) < 0
        || bind(fd, (struct sockaddr *)&address, sizeof address) < 0
        || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes) < 0
        || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int clinger_packet_socket_receive(int fd, uint8_t *buffer, int capacity, int *packet_type, int64_t *realtime_ns) {
    struct sockaddr_ll from;
    memset(&from, 0, sizeof from);
    struct iovec vector = {.iov_base = buffer, .iov_len = (size_t)capacity};
    union {
        char bytes[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {
        .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &vector, .msg_iovlen = 1,
        .msg_control = control.bytes, .msg_controllen = sizeof control.bytes,
    };
    ssize_t length = recvmsg(fd, &message, MSG_DONTWAIT | MSG_TRUNC);
    if (length < 0) return -1;
    *packet_type = from.sll_pkttype;
    *realtime_ns = 0;
    for (struct cmsghdr *entry = CMSG_FIRSTHDR(&message); entry; entry = CMSG_NXTHDR(&message, entry)) {
        if (entry->cmsg_level == SOL_SOCKET && entry->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(entry), sizeof stamp);
            *realtime_ns = (int64_t)stamp.tv_sec * 1000000000LL + stamp.tv_nsec;
        }
    }
    return (int)length;
}

void clinger_realtime_and_monotonic(int64_t *realtime_ns, int64_t *monotonic_ns) {
    struct timespec real, mono;
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    *realtime_ns = (int64_t)real.tv_sec * 1000000000LL + real.tv_nsec;
    *monotonic_ns = (int64_t)mono.tv_sec * 1000000000LL + mono.tv_nsec;
}

// MARK: Interface configuration

static void name_request(struct ifreq *request, const char *name) {
    memset(request, 0, sizeof *request);
    strncpy(request->ifr_name, name, IFNAMSIZ - 1);
}

int clinger_interface_set_mtu(int socket_fd, const char *name, int mtu) {
    struct ifreq request;
    name_request(&request, name);
    request.ifr_mtu = mtu;
    return ioctl(socket_fd, SIOCSIFMTU, &request);
}

int clinger_interface_set_up(int socket_fd, const char *name) {
    struct ifreq request;
    name_request(&request, name);
    if (ioctl(socket_fd, SIOCGIFFLAGS, &request) < 0) return -1;
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(socket_fd, SIOCSIFFLAGS, &request);
}

static struct sockaddr_in ipv4_socket_address(uint32_t address) {
    struct sockaddr_in result;
    memset(&result, 0, sizeof result);
    result.sin_family = AF_INET;
    result.sin_addr.s_addr = htonl(address);
    return result;
}

static uint32_t ipv4_netmask(int prefix_length) {
    if (prefix_length <= 0) return 0;
    if (prefix_length >= 32) return 0xffffffffu;
    return 0xffffffffu << (32 - prefix_length);
}

int clinger_interface_set_ipv4_address(int socket_fd, const char *name, uint32_t address, int prefix_length) {
    struct ifreq request;
    name_request(&request, name);
    struct sockaddr_in value = ipv4_socket_address(address);
    memcpy(&request.ifr_addr, &value, sizeof value);
    if (ioctl(socket_fd, SIOCSIFADDR, &request) < 0) return -1;
    name_request(&request, name);
    value = ipv4_socket_address(ipv4_netmask(prefix_length));
    memcpy(&request.ifr_netmask, &value, sizeof value);
    return ioctl(socket_fd, SIOCSIFNETMASK, &request);
}

// The layout of the kernel's struct in6_ifreq (linux/ipv6.h clashes with glibc's netinet/in.h).
struct clinger_in6_ifreq {
    struct in6_addr address;
    uint32_t prefix_length;
    int interface_index;
};

int clinger_interface_add_ipv6_address(int socket_fd, int interface_index, const uint8_t address[16],
                                       int prefix_length) {
    struct clinger_in6_ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(&request.address, address, 16);
    request.prefix_length = (uint32_t)prefix_length;
    request.interface_index = interface_index;
    return ioctl(socket_fd, SIOCSIFADDR, &request);
}

int clinger_route_add_ipv4(int socket_fd, const char *name, uint32_t destination, int prefix_length,
                           uint32_t gateway, int use_gateway) {
    struct rtentry route;
    memset(&route, 0, sizeof route);
    struct sockaddr_in value = ipv4_socket_address(destination & ipv4_netmask(prefix_length));
    memcpy(&route.rt_dst, &value, sizeof value);
    value = ipv4_socket_address(ipv4_netmask(prefix_length));
    memcpy(&route.rt_genmask, &value, sizeof value);
    route.rt_flags = RTF_UP;
    if (prefix_length >= 32) route.rt_flags |= RTF_HOST;
    if (use_gateway) {
        value = ipv4_socket_address(gateway);
        memcpy(&route.rt_gateway, &value, sizeof value);
        route.rt_flags |= RTF_GATEWAY;
    }
    char device[IFNAMSIZ];
    memset(device, 0, sizeof device);
    strncpy(device, name, IFNAMSIZ - 1);
    route.rt_dev = device;
    return ioctl(socket_fd, SIOCADDRT, &route);
}

int clinger_route_add_ipv6(int socket_fd, int interface_index, const uint8_t destination[16], int prefix_length,
                           const uint8_t gateway[16], int use_gateway) {
    struct in6_rtmsg route;
    memset(&route, 0, sizeof route);
    memcpy(&route.rtmsg_dst, destination, 16);
    route.rtmsg_dst_len = (unsigned short)prefix_length;
    route.rtmsg_metric = 1;
    route.rtmsg_flags = RTF_UP;
    if (prefix_length >= 128) route.rtmsg_flags |= RTF_HOST;
    if (use_gateway) {
        memcpy(&route.rtmsg_gateway, gateway, 16);
        route.rtmsg_flags |= RTF_GATEWAY;
    }
    route.rtmsg_ifindex = interface_index;
    return ioctl(socket_fd, SIOCADDRT, &route);
}

// MARK: System calls

int clinger_accept4(int fd, void *address, uint32_t *length, int flags) {
    return accept4(fd, (struct sockaddr *)address, (socklen_t *)length, flags);
}

int clinger_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int clinger_fcntl(int fd, int command, long argument) { return fcntl(fd, command, argument); }

int clinger_dup3(int old_fd, int new_fd, int flags) { return dup3(old_fd, new_fd, flags); }

int clinger_ioctl_int(int fd, unsigned long request, int *value) { return ioctl(fd, request, value); }

int clinger_epoll_create(int size) { return epoll_create(size); }

int clinger_epoll_create1(int flags) { return epoll_create1(flags); }

int clinger_epoll_ctl(int epoll_fd, int operation, int fd, int has_event, uint32_t events, uint64_t data) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epoll_fd, operation, fd, has_event ? &event : NULL);
}

int clinger_epoll_wait(int epoll_fd, int max_events, int capacity, int timeout_ms, uint32_t *events_out,
                       uint64_t *data_out) {
    struct epoll_event *events = NULL;
    if (capacity > 0) {
        events = calloc((size_t)capacity, sizeof *events);
        if (events == NULL) {
            errno = ENOMEM;
            return -1;
        }
    }
    int result = epoll_wait(epoll_fd, events, max_events, timeout_ms);
    int saved = errno;
    for (int i = 0; i < result && i < capacity; i++) {
        events_out[i] = events[i].events;
        data_out[i] = events[i].data.u64;
    }
    free(events);
    errno = saved;
    return result;
}

int clinger_poll_one(int fd, short events, long long timeout_ns, short *revents) {
    struct pollfd entry = {.fd = fd, .events = events, .revents = 0};
    struct timespec timeout = {.tv_sec = timeout_ns / 1000000000LL, .tv_nsec = timeout_ns % 1000000000LL};
    int result = ppoll(&entry, 1, timeout_ns < 0 ? NULL : &timeout, NULL);
    *revents = entry.revents;
    return result;
}

// MARK: Signals and processes

int clinger_interrupt_signal(void) { return SIGRTMAX - 3; }

static void clinger_interrupt_handler(int signal_number) { (void)signal_number; }

int clinger_install_signal_handlers(void) {
    struct sigaction current;
    if (sigaction(SIGPIPE, NULL, &current) < 0) return -1;
    if (current.sa_handler == SIG_DFL && !(current.sa_flags & SA_SIGINFO)) {
        struct sigaction ignore;
        memset(&ignore, 0, sizeof ignore);
        ignore.sa_handler = SIG_IGN;
        if (sigaction(SIGPIPE, &ignore, NULL) < 0) return -1;
    }
    int interrupt = clinger_interrupt_signal();
    if (sigaction(interrupt, NULL, &current) < 0) return -1;
    if (current.sa_handler == SIG_DFL && !(current.sa_flags & SA_SIGINFO)) {
        struct sigaction handler;
        memset(&handler, 0, sizeof handler);
        handler.sa_handler = clinger_interrupt_handler;
        sigemptyset(&handler.sa_mask);
        if (sigaction(interrupt, &handler, NULL) < 0) return -1;
    }
    return 0;
}

int clinger_unblock_interrupt_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, clinger_interrupt_signal());
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

int clinger_interrupt_thread(int thread_id) {
    return (int)syscall(SYS_tgkill, getpid(), thread_id, clinger_interrupt_signal());
}

int clinger_spawn_shell(const char *command, const char *directory, int output_fd, int *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int error = posix_spawn_file_actions_init(&actions);
    if (error) return error;
    error = posix_spawnattr_init(&attributes);
    if (error) {
        posix_spawn_file_actions_destroy(&actions);
        return error;
    }
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, clinger_interrupt_signal());
    sigemptyset(&empty);
    if (!error) error = posix_spawnattr_setsigdefault(&attributes, &defaults);
    if (!error) error = posix_spawnattr_setsigmask(&attributes, &empty);
    if (!error) error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (!error) error = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (!error) error = posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
    if (!error) error = posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
    if (!error) error = posix_spawn_file_actions_addchdir_np(&actions, directory);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (!error) error = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    // The environment, with PACKETDRILL_PID naming this process as packetdrill names
    // itself: corpus helpers (set_sysctls.py) write files named after it, which a
    // later command finds again as the shell's $PPID.
    extern char **environ;
    size_t count = 0;
    while (environ[count]) count++;
    char **environment = calloc(count + 2, sizeof(char *));
    char pid_entry[64];
    if (!error && !environment) error = ENOMEM;
    if (!error) {
        size_t used = 0;
        for (size_t i = 0; i < count; i++) {
            if (strncmp(environ[i], "PACKETDRILL_PID=", 16) != 0) environment[used++] = environ[i];
        }
        snprintf(pid_entry, sizeof pid_entry, "PACKETDRILL_PID=%d", (int)getpid());
        environment[used++] = pid_entry;
        environment[used] = NULL;
        char *const arguments[] = {"sh", "-c", (char *)command, NULL};
        error = posix_spawn(pid, "/bin/sh", &actions, &attributes, arguments, environment);
    }
    free(environment);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return error;
}

size_t clinger_malloc_allocated_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

#else  // not Linux: nothing here works.

#include <errno.h>

#define CLINGER_UNSUPPORTED { errno = ENOSYS; return -1; }
int clinger_unshare_network(void) CLINGER_UNSUPPORTED
int clinger_gettid(void) CLINGER_UNSUPPORTED
int clinger_unshare_descriptor_table(unsigned int f) { (void)f; CLINGER_UNSUPPORTED }
int clinger_tun_create(const char *name) { (void)name; CLINGER_UNSUPPORTED }
int clinger_tun_set_offloads(int tun_fd) { (void)tun_fd; CLINGER_UNSUPPORTED }
int clinger_tun_vnet_header_size(void) { return 10; }
int clinger_packet_socket_open(const char *n, int b) { (void)n; (void)b; CLINGER_UNSUPPORTED }
int clinger_packet_socket_receive(int f, uint8_t *b, int c, int *t, int64_t *r) {
    (void)f; (void)b; (void)c; (void)t; (void)r; CLINGER_UNSUPPORTED }
void clinger_realtime_and_monotonic(int64_t *r, int64_t *m) { *r = 0; *m = 0; }
int clinger_interface_set_mtu(int s, const char *n, int m) { (void)s; (void)n; (void)m; CLINGER_UNSUPPORTED }
int clinger_interface_set_up(int s, const char *n) { (void)s; (void)n; CLINGER_UNSUPPORTED }
int clinger_interface_set_ipv4_address(int s, const char *n, uint32_t a, int p) {
    (void)s; (void)n; (void)a; (void)p; CLINGER_UNSUPPORTED }
int clinger_interface_add_ipv6_address(int s, int i, const uint8_t a[16], int p) {
    (void)s; (void)i; (void)a; (void)p; CLINGER_UNSUPPORTED }
int clinger_route_add_ipv4(int s, const char *n, uint32_t d, int p, uint32_t g, int u) {
    (void)s; (void)n; (void)d; (void)p; (void)g; (void)u; CLINGER_UNSUPPORTED }
int clinger_route_add_ipv6(int s, int i, const uint8_t d[16], int p, const uint8_t g[16], int u) {
    (void)s; (void)i; (void)d; (void)p; (void)g; (void)u; CLINGER_UNSUPPORTED }
int clinger_accept4(int f, void *a, uint32_t *l, int g) { (void)f; (void)a; (void)l; (void)g; CLINGER_UNSUPPORTED }
int clinger_pipe2(int fds[2], int flags) { (void)fds; (void)flags; CLINGER_UNSUPPORTED }
int clinger_fcntl(int f, int c, long a) { (void)f; (void)c; (void)a; CLINGER_UNSUPPORTED }
int clinger_dup3(int o, int n, int f) { (void)o; (void)n; (void)f; CLINGER_UNSUPPORTED }
int clinger_ioctl_int(int f, unsigned long r, int *v) { (void)f; (void)r; (void)v; CLINGER_UNSUPPORTED }
int clinger_epoll_create(int size) { (void)size; CLINGER_UNSUPPORTED }
int clinger_epoll_create1(int flags) { (void)flags; CLINGER_UNSUPPORTED }
int clinger_epoll_ctl(int e, int o, int f, int h, uint32_t v, uint64_t d) {
    (void)e; (void)o; (void)f; (void)h; (void)v; (void)d; CLINGER_UNSUPPORTED }
int clinger_epoll_wait(int e, int m, int c, int t, uint32_t *v, uint64_t *d) {
    (void)e; (void)m; (void)c; (void)t; (void)v; (void)d; CLINGER_UNSUPPORTED }
int clinger_poll_one(int f, short e, long long t, short *r) { (void)f; (void)e; (void)t; (void)r; CLINGER_UNSUPPORTED }
int clinger_interrupt_signal(void) { return 0; }
int clinger_install_signal_handlers(void) CLINGER_UNSUPPORTED
int clinger_unblock_interrupt_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, clinger_interrupt_signal());
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

int clinger_unblock_interrupt_signal(void) CLINGER_UNSUPPORTED
int clinger_interrupt_thread(int thread_id) { (void)thread_id; CLINGER_UNSUPPORTED }
int clinger_spawn_shell(const char *c, const char *d, int o, int *p) { (void)c; (void)d; (void)o; (void)p; return ENOSYS; }

size_t clinger_malloc_allocated_bytes(void) { return 0; }

#endif
