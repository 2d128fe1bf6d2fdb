// hq-lp-bed: an emulated printer behind the kernel's usblp driver (/dev/usb/lpN) for the usblp
// transport's tests.
//
//   umockdev-wrapper hq-lp-bed OUTFILE
//
// Adds /dev/usb/lp0 (a usbmisc device under a USB printer, backed by a pty, udev name
// /dev/hallq/printer as hardware/60-hallq.rules gives it), appends every ticket byte hallqd
// writes to OUTFILE, answers DLE EOT n with the status byte of the current state, prints
// "root <UMOCKDEV_DIR>", then obeys lines on stdin, answering "ok": online | paper-out |
// offline | unplug | plug | quit. A replug comes back as the next lpN (umockdev cannot reuse a
// pty node name), with /dev/hallq/printer following it.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <umockdev.h>

enum state { ONLINE, PAPER_OUT, OFFLINE };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static UMockdevTestbed *tb;
static char *root;
static int out_fd, master = -1, plugs = 0;
static enum state printer = ONLINE;
static char usb_path[256], node[64];

static unsigned char status_byte(int n) {
    switch (printer) {
    case PAPER_OUT: return n == 1 ? 0x1A : n == 2 ? 0x32 : n == 4 ? 0x72 : 0x12;
    case OFFLINE:   return n == 1 ? 0x1A : n == 2 ? 0x16 : 0x12;
    default:        return 0x12;
    }
}

/// Relays the pty: ticket bytes to the capture, DLE EOT n answered on the way back.
static void *pump(void *arg) {
    (void)arg;
    unsigned char buf[4096], pend[3];
    int npend = 0;
    for (;;) {
        pthread_mutex_lock(&mu);
        int fd = master;
        pthread_mutex_unlock(&mu);
        if (fd < 0) { usleep(20000); continue; }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) { usleep(20000); continue; }
        pthread_mutex_lock(&mu);
        for (ssize_t i = 0; i < n; i++) {
            unsigned char b = buf[i];
            /* a status query is 10 04 n; anything else is ticket data */
            if ((npend == 0 && b == 0x10) || (npend == 1 && b == 0x04)) { pend[npend++] = b; continue; }
            if (npend == 2) {
                unsigned char r = status_byte(b);
                if (write(fd, &r, 1) != 1) perror("reply");
                npend = 0;
                continue;
            }
            if (npend > 0 && printer == ONLINE && write(out_fd, pend, (size_t)npend) < 0) perror("capture");
            npend = 0;
            if (printer == ONLINE && write(out_fd, &b, 1) != 1) perror("capture");
        }
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static int plug(void) {
    char desc[1024], link[512];
    int k = plugs++;
    snprintf(link, sizeof link, "%s/dev/hallq/printer", root);
    unlink(link);
    snprintf(usb_path, sizeof usb_path, "/sys/devices/pci0000:00/usb1/1-%d", k + 1);
    snprintf(node, sizeof node, "/dev/usb/lp%d", k);
    snprintf(desc, sizeof desc,
        "P: /devices/pci0000:00/usb1/1-%d\n"
        "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n"
        "A: idVendor=0416\\n\nA: idProduct=5011\\n\n"
        "\n"
        "P: /devices/pci0000:00/usb1/1-%d/1-%d:1.0/usbmisc/lp%d\n"
        "N: usb/lp%d\nS: hallq/printer\n"
        "E: SUBSYSTEM=usbmisc\nE: DEVNAME=/dev/usb/lp%d\n"
        "A: dev=180:%d\\n\n",
        k + 1, k + 1, k + 1, k, k, k, k);
    GError *err = NULL;
    if (!umockdev_testbed_add_from_string(tb, desc, &err)) {
        fprintf(stderr, "add_from_string: %s\n", err ? err->message : "?");
        return -1;
    }
    pthread_mutex_lock(&mu);
    master = umockdev_testbed_get_dev_fd(tb, node);
    pthread_mutex_unlock(&mu);
    return master < 0 ? -1 : 0;
}

static void unplug(void) {
    char path[512];
    pthread_mutex_lock(&mu);
    master = -1;
    pthread_mutex_unlock(&mu);
    umockdev_testbed_remove_device(tb, usb_path);
    snprintf(path, sizeof path, "%s%s", root, node);
    unlink(path);
    snprintf(path, sizeof path, "%s/dev/hallq/printer", root);
    unlink(path);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: umockdev-wrapper hq-lp-bed OUTFILE\n"); return 2; }
    out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out_fd < 0) { perror(argv[1]); return 1; }
    tb = umockdev_testbed_new();
    root = umockdev_testbed_get_root_dir(tb);
    if (plug() != 0) return 1;
    pthread_t th;
    pthread_create(&th, NULL, pump, NULL);
    printf("root %s\n", root);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        const char *answer = "ok";
        if (!strncmp(line, "online", 6)) { pthread_mutex_lock(&mu); printer = ONLINE; pthread_mutex_unlock(&mu); }
        else if (!strncmp(line, "paper-out", 9)) { pthread_mutex_lock(&mu); printer = PAPER_OUT; pthread_mutex_unlock(&mu); }
        else if (!strncmp(line, "offline", 7)) { pthread_mutex_lock(&mu); printer = OFFLINE; pthread_mutex_unlock(&mu); }
        else if (!strncmp(line, "unplug", 6)) unplug();
        else if (!strncmp(line, "plug", 4)) { if (plug() != 0) answer = "error"; }
        else if (!strncmp(line, "quit", 4)) break;
        else answer = "error unknown command";
        printf("%s\n", answer);
        fflush(stdout);
    }
    return 0;
}
