// hq-printer-bed: an emulated USB ESC/POS printer for the printer tests.
//
//   umockdev-wrapper hq-printer-bed OUTFILE [DESCRIPTOR-HEX]
//
// Adds a printer-class device at /dev/bus/usb/001/002 (default descriptor: 0416:5011 with its
// bulk endpoints at OUT 0x03 / IN 0x84, so nothing may assume 0x01/0x81), answers the usbdevfs
// ioctls the real libusb makes, appends every ticket byte to OUTFILE (status queries left out),
// and replies to DLE EOT n as the printer state says. Prints "root <UMOCKDEV_DIR>", then obeys
// lines on stdin, answering "ok": online | paper-out | offline | unplug | plug | unplug-mid
// (pull the cable when the next ticket data arrives) | quit.
//
// "idcard on" makes it an ID-card reader on USB instead (given a reader's descriptor): bytes on
// bulk OUT go to the SAM of ../SamReader.h, its replies come back on bulk IN, and that file's
// commands (card FILE, remove, vanish, reads) work here too.
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <umockdev.h>
#include "../SamReader.h"

#define SYSPATH "/sys/devices/pci0000:00/usb1/1-1"
#define DEVNODE "/dev/bus/usb/001/002"

static const char *default_descriptor =
    "12010002000000401604115000010102030109022000010100C0320904000002070102000705030240000007058402400000";

enum state { ONLINE, PAPER_OUT, OFFLINE };

struct urb { UMockdevIoctlData *urb; UMockdevIoctlData *buf; };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static UMockdevTestbed *tb;
static int out_fd;
static enum state printer = ONLINE;
static int plugged = 1, unplug_mid = 0;
static GList *flying;        /* struct urb*, oldest first */
static GList *discarded;
static GByteArray *inbox;      /* bytes owed on bulk IN: status bytes, SAM replies */
static int idcard_mode = 0;

static void usb_emit(const unsigned char *bytes, size_t n) { g_byte_array_append(inbox, bytes, (guint)n); }

static unsigned char status_byte(int n) {
    switch (printer) {
    case PAPER_OUT: return n == 1 ? 0x1A : n == 2 ? 0x32 : n == 4 ? 0x72 : 0x12;
    case OFFLINE:   return n == 1 ? 0x1A : n == 2 ? 0x16 : 0x12;  /* cover open */
    default:        return 0x12;
    }
}

static void unplug_now(void) {
    plugged = 0;
    g_byte_array_set_size(inbox, 0);
    umockdev_testbed_uevent(tb, SYSPATH, "remove");
}

static void reply(UMockdevIoctlClient *client, struct urb *u) {
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
    UMockdevIoctlData *ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
    umockdev_ioctl_data_set_ptr(ptr, 0, u->urb);
    umockdev_ioctl_client_complete(client, 0, 0);
    umockdev_ioctl_data_unref(ptr);
}

static void free_urb(struct urb *u) {
    umockdev_ioctl_data_unref(u->buf);
    umockdev_ioctl_data_unref(u->urb);
    g_free(u);
}

static gboolean on_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer data) {
    (void)base; (void)data;
    unsigned long req = umockdev_ioctl_client_get_request(client);
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
    pthread_mutex_lock(&mu);
    gboolean handled = TRUE;
    if (!plugged && req != USBDEVFS_REAPURB && req != USBDEVFS_REAPURBNDELAY && req != USBDEVFS_DISCARDURB &&
        req != USBDEVFS_RELEASEINTERFACE) {
        umockdev_ioctl_client_complete(client, -1, ENODEV);
        goto out;
    }
    switch (req) {
    case USBDEVFS_GET_CAPABILITIES: {
        UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
        *(guint32 *)d->data = USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
                              USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_ZERO_PACKET;
        umockdev_ioctl_client_complete(client, 0, 0);
        umockdev_ioctl_data_unref(d);
        break;
    }
    case USBDEVFS_GETDRIVER:  /* no kernel driver (usblp) bound */
        umockdev_ioctl_client_complete(client, -1, ENODATA);
        break;
    case USBDEVFS_CLAIMINTERFACE: case USBDEVFS_RELEASEINTERFACE: case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESET: case USBDEVFS_RESETEP: case USBDEVFS_SETCONFIGURATION: case USBDEVFS_SETINTERFACE:
    case USBDEVFS_IOCTL:
        umockdev_ioctl_client_complete(client, 0, 0);
        break;
    case USBDEVFS_SUBMITURB: {
        struct urb *u = g_new0(struct urb, 1);
        u->urb = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
        struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->urb->data;
        u->buf = umockdev_ioctl_data_resolve(u->urb, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer), urb->buffer_length, NULL);
        if (!(urb->endpoint & 0x80)) {
            const unsigned char *b = u->buf->data;
            int len = urb->buffer_length;
            if (idcard_mode) {
                sam_feed(usb_emit, b, len);
            } else if (len == 3 && b[0] == 0x10 && b[1] == 0x04) {
                unsigned char st = status_byte(b[2]);
                g_byte_array_append(inbox, &st, 1);
            } else if (unplug_mid) {
                unplug_mid = 0;
                unplug_now();
                free_urb(u);
                umockdev_ioctl_client_complete(client, -1, ENODEV);
                break;
            } else if (printer == ONLINE && write(out_fd, b, (size_t)len) != len) {
                perror("capture");
            }
        }
        flying = g_list_append(flying, u);
        umockdev_ioctl_client_complete(client, 0, 0);
        break;
    }
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY: {
        if (discarded) {
            struct urb *u = discarded->data;
            discarded = g_list_delete_link(discarded, discarded);
            ((struct usbdevfs_urb *)u->urb->data)->status = -ENOENT;
            reply(client, u);
            free_urb(u);
            break;
        }
        struct urb *done = NULL;
        for (GList *l = flying; l; l = l->next) {
            struct urb *u = l->data;
            struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->urb->data;
            if (!plugged) { urb->status = -ENODEV; urb->actual_length = 0; done = u; break; }
            if (!(urb->endpoint & 0x80)) { urb->status = 0; urb->actual_length = urb->buffer_length; done = u; break; }
            if (inbox->len > 0 && urb->buffer_length >= 1) {
                guint k = inbox->len < (guint)urb->buffer_length ? inbox->len : (guint)urb->buffer_length;
                memcpy(u->buf->data, inbox->data, k);
                g_byte_array_remove_range(inbox, 0, k);
                urb->status = 0;
                urb->actual_length = (int)k;
                done = u;
                break;
            }
        }
        if (done) {
            flying = g_list_remove(flying, done);
            reply(client, done);
            free_urb(done);
        } else {
            umockdev_ioctl_client_complete(client, -1, EAGAIN);
        }
        break;
    }
    case USBDEVFS_DISCARDURB: {
        gulong addr = arg->client_addr;
        GList *l;
        for (l = flying; l; l = l->next) if (((struct urb *)l->data)->urb->client_addr == addr) break;
        if (l) {
            discarded = g_list_append(discarded, l->data);
            flying = g_list_delete_link(flying, l);
            umockdev_ioctl_client_complete(client, 0, 0);
        } else {
            umockdev_ioctl_client_complete(client, -1, EINVAL);
        }
        break;
    }
    default:
        handled = FALSE;
    }
out:
    pthread_mutex_unlock(&mu);
    return handled;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: umockdev-wrapper hq-printer-bed OUTFILE [DESCRIPTOR-HEX]\n"); return 2; }
    out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out_fd < 0) { perror(argv[1]); return 1; }
    const char *descriptor = argc > 2 ? argv[2] : default_descriptor;
    inbox = g_byte_array_new();
    tb = umockdev_testbed_new();
    UMockdevIoctlBase *handler = umockdev_ioctl_base_new();
    g_signal_connect(handler, "handle-ioctl", G_CALLBACK(on_ioctl), NULL);
    GError *err = NULL;
    if (!umockdev_testbed_attach_ioctl(tb, DEVNODE, handler, &err)) {
        fprintf(stderr, "attach_ioctl: %s\n", err ? err->message : "?");
        return 1;
    }
    char *desc = g_strdup_printf(
        "P: /devices/pci0000:00/usb1/1-1\n"
        "N: bus/usb/001/002\n"
        "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: BUSNUM=001\nE: DEVNUM=002\n"
        "E: DEVNAME=" DEVNODE "\n"
        "A: busnum=1\\n\nA: devnum=2\\n\nA: bConfigurationValue=1\\n\nA: speed=12\\n\n"
        "H: descriptors=%s\n", descriptor);
    if (!umockdev_testbed_add_from_string(tb, desc, &err)) {
        fprintf(stderr, "add_from_string: %s\n", err ? err->message : "?");
        return 1;
    }
    g_free(desc);
    printf("root %s\n", umockdev_testbed_get_root_dir(tb));
    fflush(stdout);
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        pthread_mutex_lock(&mu);
        const char *answer = "ok";
        if (!strncmp(line, "online", 6)) printer = ONLINE;
        else if (!strncmp(line, "paper-out", 9)) printer = PAPER_OUT;
        else if (!strncmp(line, "offline", 7)) printer = OFFLINE;
        else if (!strncmp(line, "unplug-mid", 10)) unplug_mid = 1;
        else if (!strncmp(line, "unplug", 6)) unplug_now();
        else if (!strncmp(line, "plug", 4)) { plugged = 1; umockdev_testbed_uevent(tb, SYSPATH, "add"); }
        else if (!strncmp(line, "idcard on", 9)) idcard_mode = 1;
        else if (sam_command(line)) { pthread_mutex_unlock(&mu); fflush(stdout); continue; }
        else if (!strncmp(line, "quit", 4)) { pthread_mutex_unlock(&mu); break; }
        else answer = "error unknown command";
        pthread_mutex_unlock(&mu);
        printf("%s\n", answer);
        fflush(stdout);
    }
    return 0;
}
