// hq-serial-bed: an emulated USB–RS-485 adapter for the sign and caller tests.
//
// umockdev's testbed API must run inside the preload (it checks its own /sys), so the test
// starts this helper under umockdev-wrapper instead of owning the testbed itself:
//   umockdev-wrapper hq-serial-bed OUTFILE [LINK]
// It plugs in /dev/ttyUSB0 (0403:6001, serial HQTEST01, backed by a pty, udev name
// /dev/LINK, by default hallq/signs), prints
// "root <UMOCKDEV_DIR>" for the test to hand to hallqd, appends every byte hallqd writes to the
// adapter to OUTFILE, and obeys lines on stdin: "unplug", "plug", "quit",
// "reply ADDR ack|nack|silent", "stats", and "send HEX…" (bytes a device on the line sends to
// hallqd, e.g. a window caller's key frame).
//
// Like Onbon signs on one RS-485 line, it answers every complete Onbon frame (a run of A5 … 5A)
// about 15 ms after it ends, with the protocol document's own ACK frame (§7.1, command example 4)
// or NACK frame (§7.2, example 5, error 05), or not at all for a "silent" address. Any byte from
// hallqd that arrives after a frame and before its answer would have collided with the answer
// on a half-duplex line: "stats" prints "frames N collisions M".
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <umockdev.h>
#include "../SamReader.h"

#define MAX_PORTS 8

struct port {
    char tty[32];
    char *usb_path;
    char *tty_path;
    UMockdevIoctlBase *handler;
};

typedef struct hq_testbed hq_testbed;
struct hq_testbed {
    UMockdevTestbed *tb;
    char *root;
    struct port ports[MAX_PORTS];
    int minor;  /* a fresh tty minor per plug: umockdev keeps /sys/dev/char links of removed ttys */
};

static void hq_serial_unplug(hq_testbed *t, const char *tty);
static const char *link_name = "hallq/signs";

/// A USB serial adapter answers the modem-line ioctls a pty refuses (libserialport always asks
/// TIOCMGET on open); everything else (termios) runs for real on the client's pty.
static gboolean on_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer data) {
    (void)base; (void)data;
    gulong req = umockdev_ioctl_client_get_request(client);
    if (req == TIOCMGET) {
        GError *err = NULL;
        UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
        UMockdevIoctlData *bits = umockdev_ioctl_data_resolve(arg, 0, sizeof(int), &err);
        if (bits == NULL) {
            g_clear_error(&err);
            umockdev_ioctl_client_complete(client, -1, EFAULT);
            return TRUE;
        }
        int lines = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
        memcpy(bits->data, &lines, sizeof lines);
        umockdev_ioctl_client_complete(client, 0, 0);
        return TRUE;
    }
    if (req == TIOCMBIS || req == TIOCMBIC || req == TIOCMSET || req == TIOCEXCL || req == TIOCNXCL) {
        umockdev_ioctl_client_complete(client, 0, 0);
        return TRUE;
    }
    int client_errno = 0;
    GError *err = NULL;
    int r = umockdev_ioctl_client_execute(client, &client_errno, &err);
    if (err != NULL) {
        g_clear_error(&err);
        umockdev_ioctl_client_complete(client, -1, EIO);
        return TRUE;
    }
    umockdev_ioctl_client_complete(client, r, client_errno);
    return TRUE;
}

static hq_testbed *hq_testbed_new(void) {
    hq_testbed *t = g_new0(hq_testbed, 1);
    t->tb = umockdev_testbed_new();
    t->root = umockdev_testbed_get_root_dir(t->tb);
    return t;
}

static void hq_testbed_free(hq_testbed *t) {
    if (t == NULL) return;
    for (int i = 0; i < MAX_PORTS; i++) {
        if (t->ports[i].tty[0]) hq_serial_unplug(t, t->ports[i].tty);
    }
    g_object_unref(t->tb);
    g_free(t->root);
    g_free(t);
}

static const char *hq_testbed_root(hq_testbed *t) { return t->root; }

static struct port *find(hq_testbed *t, const char *tty, int create) {
    for (int i = 0; i < MAX_PORTS; i++)
        if (t->ports[i].tty[0] && strcmp(t->ports[i].tty, tty) == 0) return &t->ports[i];
    if (!create) return NULL;
    for (int i = 0; i < MAX_PORTS; i++)
        if (!t->ports[i].tty[0]) {
            snprintf(t->ports[i].tty, sizeof t->ports[i].tty, "%s", tty);
            return &t->ports[i];
        }
    return NULL;
}

/// Adds the adapter as umockdev-record would describe it: a USB device with its ids and serial,
/// and under it the tty, whose /dev node is a pty and which udev also names /dev/hallq/signs.
/// (umockdev only makes /dev nodes for devices added from a description.)
static int hq_serial_plug(hq_testbed *t, const char *tty, const char *vendor, const char *product, const char *serial) {
    struct port *p = find(t, tty, 1);
    if (p == NULL || p->tty_path != NULL) return -1;
    char devname[64], link[512], desc[2048];
    snprintf(devname, sizeof devname, "/dev/%s", tty);
    // A replug re-points the stable name, as udev does; drop the dangling link first.
    snprintf(link, sizeof link, "%s/dev/%s", t->root, link_name);
    unlink(link);
    snprintf(desc, sizeof desc,
        "P: /devices/pci0000:00/usb1/1-%s\n"
        "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: ID_VENDOR_ID=%s\nE: ID_MODEL_ID=%s\nE: ID_SERIAL_SHORT=%s\n"
        "A: idVendor=%s\nA: idProduct=%s\nA: serial=%s\nA: manufacturer=hallq test\nA: product=USB-RS485\n"
        "A: busnum=1\nA: devnum=%d\n"
        "\n"
        "P: /devices/pci0000:00/usb1/1-%s/1-%s:1.0/%s/tty/%s\n"
        "N: %s\nS: %s\n"
        "E: DEVNAME=/dev/%s\nE: SUBSYSTEM=tty\nE: ID_VENDOR_ID=%s\nE: ID_MODEL_ID=%s\n"
        "A: dev=188:%d\n",
        tty, vendor, product, serial, vendor, product, serial, 2 + (int)(p - t->ports),
        tty, tty, tty, tty, tty, link_name, tty, vendor, product, t->minor++);
    GError *err = NULL;
    if (!umockdev_testbed_add_from_string(t->tb, desc, &err)) {
        fprintf(stderr, "add_from_string: %s\n", err ? err->message : "?");
        g_clear_error(&err);
        return -1;
    }
    char path[256];
    snprintf(path, sizeof path, "/sys/devices/pci0000:00/usb1/1-%s", tty);
    p->usb_path = g_strdup(path);
    snprintf(path, sizeof path, "/sys/devices/pci0000:00/usb1/1-%s/1-%s:1.0/%s/tty/%s", tty, tty, tty, tty);
    p->tty_path = g_strdup(path);
    p->handler = umockdev_ioctl_base_new();
    g_signal_connect(p->handler, "handle-ioctl", G_CALLBACK(on_ioctl), NULL);
    if (!umockdev_testbed_attach_ioctl(t->tb, devname, p->handler, &err)) {
        fprintf(stderr, "attach_ioctl %s: %s\n", devname, err ? err->message : "?");
        g_clear_error(&err);
        return -1;
    }
    return 0;
}

static int hq_serial_master_fd(hq_testbed *t, const char *tty) {
    char devname[64];
    snprintf(devname, sizeof devname, "/dev/%s", tty);
    return umockdev_testbed_get_dev_fd(t->tb, devname);
}

static void hq_serial_unplug(hq_testbed *t, const char *tty) {
    struct port *p = find(t, tty, 0);
    if (p == NULL) return;
    char devname[64];
    snprintf(devname, sizeof devname, "/dev/%s", tty);
    if (p->handler) {
        umockdev_testbed_detach_ioctl(t->tb, devname, NULL);
        g_object_unref(p->handler);
        p->handler = NULL;
    }
    if (p->usb_path) { umockdev_testbed_remove_device(t->tb, p->usb_path); g_free(p->usb_path); p->usb_path = NULL; }
    /* Make sure the node and the udev link are gone, as after a real unplug. */
    char node[512];
    snprintf(node, sizeof node, "%s/dev/%s", t->root, tty);
    unlink(node);
    snprintf(node, sizeof node, "%s/dev/%s", t->root, link_name);
    unlink(node);
    g_free(p->tty_path);
    p->tty_path = NULL;
    p->tty[0] = 0;
}

enum reply_mode { REPLY_ACK = 0, REPLY_NACK, REPLY_SILENT };
static enum reply_mode modes[65536];
static volatile int frames_seen = 0, collisions = 0;

/// The document's own answers, verbatim (nine A5, source FFFE, CRC as printed there).
static const unsigned char doc_ack[] = {0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0x00, 0x80, 0xFE, 0xFF,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFE, 0x02, 0x05, 0x00, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x14, 0xAC, 0x5A};
static const unsigned char doc_nack[] = {0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0x00, 0x80, 0xFE, 0xFF,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFE, 0x02, 0x05, 0x00, 0xA0, 0x01, 0x05, 0x00, 0x00, 0x05, 0x51, 0x5A};

/// Onbon frame tracking over the bytes hallqd writes: state 0 outside a frame, 1 in the A5 run,
/// 2 in the body (whose first two bytes are the destination, unescaped for small addresses).
static int fstate = 0, fbody = 0, fdst = 0;

/// Feeds one byte; returns the destination when it completes a frame, else -1.
static int track(unsigned char b) {
    if (b == 0xA5) { if (fstate != 2) { fstate = 1; fbody = 0; } return -1; }
    if (fstate == 1) { fstate = 2; fbody = 0; fdst = 0; }
    if (fstate != 2) return -1;
    if (b == 0x5A) { fstate = 0; return fbody >= 16 ? fdst : -1; }
    if (fbody == 0) fdst = b;
    else if (fbody == 1) fdst |= b << 8;
    fbody++;
    return -1;
}

/// ID-card reader mode ("idcard on"): instead of answering Onbon frames, the line answers SAM
/// frames as the reader in ../SamReader.h does, its replies in 64-byte pieces as a USB-serial
/// bridge delivers them.
static int idcard_mode = 0;
static volatile int master_fd = -1;

static void serial_emit(const unsigned char *r, size_t n) {
    int fd = master_fd;
    usleep(5000);
    for (size_t off = 0; off < n; off += 64) {
        size_t k = n - off < 64 ? n - off : 64;
        if (write(fd, r + off, k) < 0) return;
    }
}

static hq_testbed *bed;
static int out_fd = -1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/// Copies whatever arrives on the current pty master into the output file.
static void *pump(void *arg) {
    (void)arg;
    unsigned char buf[4096];
    for (;;) {
        pthread_mutex_lock(&mu);
        int fd = master_fd;
        pthread_mutex_unlock(&mu);
        if (fd < 0) { usleep(20000); continue; }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) { usleep(20000); continue; }  /* EIO while nobody has the tty open */
        if (write(out_fd, buf, (size_t)n) < 0) return NULL;
        if (idcard_mode) {
            sam_feed(serial_emit, buf, n);
            continue;
        }
        for (ssize_t i = 0; i < n; i++) {
            int dst = track(buf[i]);
            if (dst < 0) continue;
            frames_seen++;
            enum reply_mode m = modes[dst & 0xFFFF];
            if (m == REPLY_SILENT) continue;
            /* The sign takes a moment, then answers; anything hallqd sends meanwhile collides. */
            int early = i + 1 < n;
            usleep(15000);
            struct pollfd q = { .fd = fd, .events = POLLIN };
            if (early || poll(&q, 1, 0) > 0) collisions++;
            const unsigned char *r = m == REPLY_ACK ? doc_ack : doc_nack;
            if (write(fd, r, sizeof doc_ack) < 0) { /* the port went away */ }
        }
    }
    return NULL;
}

static int plugs = 0;
static char current[32];

/// Each plug gets the next ttyUSB number (umockdev cannot reuse a pty node name), as a real
/// adapter often does when it comes back; /dev/hallq/signs follows it.
static int plug(void) {
    snprintf(current, sizeof current, "ttyUSB%d", plugs++);
    if (hq_serial_plug(bed, current, "0403", "6001", "HQTEST01") != 0) return -1;
    int fd = hq_serial_master_fd(bed, current);
    pthread_mutex_lock(&mu);
    master_fd = fd;
    pthread_mutex_unlock(&mu);
    return fd < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) { fprintf(stderr, "usage: umockdev-wrapper hq-serial-bed OUTFILE [LINK]\n"); return 2; }
    if (argc == 3) link_name = argv[2];
    out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out_fd < 0) { perror(argv[1]); return 1; }
    bed = hq_testbed_new();
    if (plug() != 0) { fprintf(stderr, "hq-serial-bed: cannot add %s\n", current); return 1; }
    pthread_t th;
    pthread_create(&th, NULL, pump, NULL);
    printf("root %s\n", hq_testbed_root(bed));
    fflush(stdout);
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "unplug", 6) == 0) {
            pthread_mutex_lock(&mu);
            master_fd = -1;
            pthread_mutex_unlock(&mu);
            hq_serial_unplug(bed, current);
            printf("ok\n");
        } else if (strncmp(line, "plug", 4) == 0) {
            printf(plug() == 0 ? "ok\n" : "error\n");
        } else if (strncmp(line, "reply ", 6) == 0) {
            int addr = 0;
            char mode[16] = "";
            if (sscanf(line + 6, "%d %15s", &addr, mode) == 2 && addr >= 0 && addr < 65536) {
                modes[addr] = strcmp(mode, "nack") == 0 ? REPLY_NACK : strcmp(mode, "silent") == 0 ? REPLY_SILENT : REPLY_ACK;
                printf("ok\n");
            } else {
                printf("error usage: reply ADDR ack|nack|silent\n");
            }
        } else if (strncmp(line, "stats", 5) == 0) {
            printf("ok frames %d collisions %d\n", frames_seen, collisions);
        } else if (strncmp(line, "send ", 5) == 0) {
            unsigned char bytes[256];
            size_t n = 0;
            unsigned int b;
            int used = 0;
            for (const char *p = line + 5; n < sizeof bytes && sscanf(p, "%2x%n", &b, &used) == 1; p += used) {
                bytes[n++] = (unsigned char)b;
                while (p[used] == ' ') used++;
            }
            pthread_mutex_lock(&mu);
            int fd = master_fd;
            pthread_mutex_unlock(&mu);
            printf(fd >= 0 && n > 0 && write(fd, bytes, n) == (ssize_t)n ? "ok\n" : "error\n");
        } else if (strncmp(line, "idcard on", 9) == 0) {
            idcard_mode = 1;
            printf("ok\n");
        } else if (sam_command(line)) {
            /* answered */
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        } else {
            printf("error unknown command\n");
        }
        fflush(stdout);
    }
    return 0;
}
