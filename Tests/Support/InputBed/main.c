// hq-input-bed: an emulated USB keypad (an evdev input device) for the keypad tests.
//
// Like hq-serial-bed it runs under umockdev-wrapper (the testbed API must run inside the preload):
//   umockdev-wrapper hq-input-bed OUTFILE
// It plugs in /dev/input/event0 (USB 1a2c:0e24, udev name /dev/input/by-id/usb-hallq_Keypad-event-kbd),
// prints "root <UMOCKDEV_DIR>", and obeys lines on stdin:
//   "replay FILE"   plays an evemu event recording ("E: sec.usec type code value" lines, the
//                   format umockdev's load_evemu_events reads) into the device, timed as
//                   recorded, and answers "ok" when it has been played. (umockdev 0.17 can
//                   replay one recording per device node and cannot say when it is done, so the
//                   bed writes the events to the node's pty itself, as umockdev's replay does.)
//   "grabbed"       "ok 1" while a client holds EVIOCGRAB, else "ok 0";
//   "unplug", "plug" (the next plug is event1, …; the by-id name follows), "quit".
// OUTFILE is unused (the helpers share one command line).
//
// umockdev hands every ioctl on the node to the handler below, which answers as the kernel's
// evdev does for a keyboard: version, id, name, the event types and keys it has (every key of a
// full keyboard with its number pad, BTN_0…BTN_9 for button boxes), zero state, auto-repeat
// settings, and EVIOCGRAB. Events arrive as struct input_event on the node's pty, as from the kernel.
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <umockdev.h>

static UMockdevTestbed *tb;
static char *root;
static int plugs = 0;
static char devnode[64], usb_path[256];
static UMockdevIoctlBase *handler;
static volatile int grabbed = 0;

#define BITS_SET(buf, bit) ((buf)[(bit) / 8] |= (unsigned char)(1u << ((bit) % 8)))

/// Copies `len` bytes of `src` to the client's buffer behind the ioctl's pointer argument and
/// completes with `ret`.
static void answer(UMockdevIoctlClient *client, const void *src, size_t len, int ret) {
    GError *err = NULL;
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
    UMockdevIoctlData *buf = umockdev_ioctl_data_resolve(arg, 0, len, &err);
    if (buf == NULL) {
        g_clear_error(&err);
        umockdev_ioctl_client_complete(client, -1, EFAULT);
        return;
    }
    memcpy(buf->data, src, len);
    umockdev_ioctl_client_complete(client, ret, 0);
}

static gboolean on_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer data) {
    (void)base; (void)data;
    gulong req = umockdev_ioctl_client_get_request(client);
    unsigned type = _IOC_TYPE(req), nr = _IOC_NR(req), size = _IOC_SIZE(req);
    if (type != 'E') { umockdev_ioctl_client_complete(client, -1, ENOTTY); return TRUE; }
    unsigned char bits[KEY_MAX / 8 + 1];
    memset(bits, 0, sizeof bits);
    size_t n = size < sizeof bits ? size : sizeof bits;
    if (req == EVIOCGVERSION) {
        int v = EV_VERSION;
        answer(client, &v, sizeof v, 0);
    } else if (req == EVIOCGID) {
        struct input_id id = { .bustype = BUS_USB, .vendor = 0x1a2c, .product = 0x0e24, .version = 0x0110 };
        answer(client, &id, sizeof id, 0);
    } else if (req == EVIOCGREP) {
        unsigned int rep[2] = { 250, 33 };
        answer(client, rep, sizeof rep, 0);
    } else if (nr == _IOC_NR(EVIOCGNAME(0))) {
        const char name[] = "hallq test keypad";
        size_t len = sizeof name < size ? sizeof name : size;
        answer(client, name, len, (int)len);
    } else if (nr == _IOC_NR(EVIOCGPHYS(0))) {
        const char phys[] = "usb-0000:00:14.0-1/input0";
        size_t len = sizeof phys < size ? sizeof phys : size;
        answer(client, phys, len, (int)len);
    } else if (nr == _IOC_NR(EVIOCGUNIQ(0))) {
        umockdev_ioctl_client_complete(client, -1, ENOENT);  // no serial number, as most keypads
    } else if (nr == _IOC_NR(EVIOCGPROP(0)) || nr == _IOC_NR(EVIOCGKEY(0)) || nr == _IOC_NR(EVIOCGLED(0))
               || nr == _IOC_NR(EVIOCGSND(0)) || nr == _IOC_NR(EVIOCGSW(0))) {
        answer(client, bits, n, (int)n);  // no properties, nothing held down, lit or switched
    } else if (nr >= _IOC_NR(EVIOCGBIT(0, 0)) && nr < _IOC_NR(EVIOCGBIT(0, 0)) + EV_MAX) {
        unsigned ev = nr - _IOC_NR(EVIOCGBIT(0, 0));
        if (ev == 0) {
            BITS_SET(bits, EV_SYN); BITS_SET(bits, EV_KEY); BITS_SET(bits, EV_MSC); BITS_SET(bits, EV_REP);
        } else if (ev == EV_KEY) {
            for (int k = KEY_ESC; k <= KEY_KPDOT; k++) BITS_SET(bits, k);
            BITS_SET(bits, KEY_KPENTER); BITS_SET(bits, KEY_KPSLASH);
            for (int k = KEY_F11; k <= KEY_F12; k++) BITS_SET(bits, k);
            for (int k = BTN_0; k <= BTN_9; k++) BITS_SET(bits, k);
        } else if (ev == EV_MSC) {
            BITS_SET(bits, MSC_SCAN);
        }
        answer(client, bits, n, (int)n);
    } else if (req == EVIOCGRAB) {
        UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
        long want = 0;
        memcpy(&want, arg->data, arg->data_len < (int)sizeof want ? (size_t)arg->data_len : sizeof want);
        grabbed = want != 0;
        umockdev_ioctl_client_complete(client, 0, 0);
    } else {
        umockdev_ioctl_client_complete(client, -1, EINVAL);
    }
    return TRUE;
}

/// Plays an evemu recording: each event written to the node as struct input_event, after the
/// recorded gap since the one before.
static int replay(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    int fd = umockdev_testbed_get_dev_fd(tb, devnode);
    char l[256];
    long long prev = -1;
    int rc = 0;
    while (fgets(l, sizeof l, f)) {
        long long sec, usec;
        unsigned int type, code;
        int value;
        if (sscanf(l, "E: %lld.%lld %x %x %d", &sec, &usec, &type, &code, &value) != 5) continue;
        long long at = sec * 1000000 + usec;
        if (prev >= 0 && at > prev) usleep((useconds_t)(at - prev));
        prev = at;
        struct input_event ev;
        memset(&ev, 0, sizeof ev);
        ev.input_event_sec = sec;
        ev.input_event_usec = usec;
        ev.type = (unsigned short)type;
        ev.code = (unsigned short)code;
        ev.value = value;
        if (fd < 0 || write(fd, &ev, sizeof ev) != (ssize_t)sizeof ev) { rc = -1; break; }
    }
    fclose(f);
    return rc;
}

static int plug(void) {
    int n = plugs++;
    char desc[2048];
    snprintf(devnode, sizeof devnode, "/dev/input/event%d", n);
    snprintf(usb_path, sizeof usb_path, "/sys/devices/pci0000:00/usb1/1-%d", n + 1);
    snprintf(desc, sizeof desc,
        "P: /devices/pci0000:00/usb1/1-%d\n"
        "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nA: idVendor=1a2c\nA: idProduct=0e24\nA: product=USB Keypad\n"
        "A: busnum=1\nA: devnum=%d\n"
        "\n"
        "P: /devices/pci0000:00/usb1/1-%d/1-%d:1.0/input/input%d/event%d\n"
        "N: input/event%d\nS: input/by-id/usb-hallq_Keypad-event-kbd\n"
        "E: DEVNAME=/dev/input/event%d\nE: SUBSYSTEM=input\nE: ID_INPUT=1\nE: ID_INPUT_KEY=1\nE: ID_INPUT_KEYBOARD=1\n"
        "A: dev=13:%d\n",
        n + 1, n + 2, n + 1, n + 1, n, n, n, n, 64 + n);
    GError *err = NULL;
    if (!umockdev_testbed_add_from_string(tb, desc, &err)) {
        fprintf(stderr, "add_from_string: %s\n", err ? err->message : "?");
        g_clear_error(&err);
        return -1;
    }
    handler = umockdev_ioctl_base_new();
    g_signal_connect(handler, "handle-ioctl", G_CALLBACK(on_ioctl), NULL);
    if (!umockdev_testbed_attach_ioctl(tb, devnode, handler, &err)) {
        fprintf(stderr, "attach_ioctl: %s\n", err ? err->message : "?");
        g_clear_error(&err);
        return -1;
    }
    return 0;
}

static void unplug(void) {
    if (handler) {
        umockdev_testbed_detach_ioctl(tb, devnode, NULL);
        g_object_unref(handler);
        handler = NULL;
    }
    umockdev_testbed_remove_device(tb, usb_path);
    char node[512];
    snprintf(node, sizeof node, "%s%s", root, devnode);
    unlink(node);
    snprintf(node, sizeof node, "%s/dev/input/by-id/usb-hallq_Keypad-event-kbd", root);
    unlink(node);
    grabbed = 0;
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc < 2) { fprintf(stderr, "usage: umockdev-wrapper hq-input-bed OUTFILE\n"); return 2; }
    tb = umockdev_testbed_new();
    root = umockdev_testbed_get_root_dir(tb);
    if (plug() != 0) return 1;
    // The testbed's own worker thread answers the ioctls; each replay has a thread of its own.
    printf("root %s\n", root);
    fflush(stdout);
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "replay ", 7) == 0) {
            printf(replay(line + 7) == 0 ? "ok\n" : "error cannot replay\n");
        } else if (strcmp(line, "grabbed") == 0) {
            printf("ok %d\n", grabbed);
        } else if (strcmp(line, "unplug") == 0) {
            unplug();
            printf("ok\n");
        } else if (strcmp(line, "plug") == 0) {
            printf(plug() == 0 ? "ok\n" : "error\n");
        } else if (strcmp(line, "quit") == 0) {
            break;
        } else {
            printf("error unknown command\n");
        }
        fflush(stdout);
    }
    return 0;
}
