// A second-generation ID-card reader's SAM, emulated for the beds (hq-serial-bed on a serial
// line, hq-printer-bed on USB bulk endpoints): one copy of the reader's behaviour, included by
// both. The frames and status bytes are ../shared/HARDWARE.md §5's.
//
// It answers SAM frames as a reader with a card on it or not: SAM status ok, find 9F while a
// card lies there (a worst-case reader that keeps answering find for a card left on it) or 80,
// select 90 or 81, read with the loaded reply frame or 41. Commands on the bed's stdin:
// "card FILE" puts the card whose complete 30 01 reply is in FILE on the reader; "remove" takes
// it away; "vanish" takes it away at the next read (a card pulled between select and read);
// "reads" tells how many reads returned the card.
#ifndef HQ_SAM_READER_H
#define HQ_SAM_READER_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/// Where a reply goes: the serial line, or the queue a bulk IN transfer takes from.
typedef void (*sam_emit)(const unsigned char *bytes, size_t n);

static int card_present = 0, card_vanish = 0, idcard_reads = 0;
static unsigned char card_reply[4096];
static size_t card_len = 0;
static unsigned char sambuf[64];
static size_t samlen = 0;

static void sam_answer(sam_emit emit, unsigned char cmd, unsigned char para) {
    static const unsigned char ok[] = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94};
    static const unsigned char found[] = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00, 0x97};
    static const unsigned char nocard[] = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84};
    static const unsigned char selected[] = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x0C, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9C};
    static const unsigned char selfail[] = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x81, 0x85};
    static const unsigned char readfail[] = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x41, 0x45};
    const unsigned char *r = NULL;
    size_t n = 0;
#define ANSWER(a) do { r = a; n = sizeof a; } while (0)
    if (cmd == 0x11 || cmd == 0x10 || cmd == 0x12) ANSWER(ok);
    else if (cmd == 0x20 && para == 0x01) { if (card_present) ANSWER(found); else ANSWER(nocard); }
    else if (cmd == 0x20 && para == 0x02) { if (card_present) ANSWER(selected); else ANSWER(selfail); }
    else if (cmd == 0x30) {
        if (card_present && card_vanish) { card_present = 0; card_vanish = 0; ANSWER(readfail); }
        else if (card_present) { r = card_reply; n = card_len; idcard_reads++; }
        else ANSWER(readfail);
    }
#undef ANSWER
    if (r != NULL) emit(r, n);
}

/// Feeds the host's bytes through a SAM command parser (preamble hunt, LEN 00 03, XOR).
static void sam_feed(sam_emit emit, const unsigned char *b, ssize_t n) {
    static const unsigned char pre[] = {0xAA, 0xAA, 0xAA, 0x96, 0x69};
    for (ssize_t i = 0; i < n; i++) {
        if (samlen < sizeof sambuf) sambuf[samlen++] = b[i];
        /* Drop bytes until the buffer starts like a preamble. */
        while (samlen > 0 && memcmp(sambuf, pre, samlen < 5 ? samlen : 5) != 0) {
            memmove(sambuf, sambuf + 1, --samlen);
        }
        if (samlen >= 10) {
            unsigned char x = 0;
            for (int j = 5; j < 9; j++) x ^= sambuf[j];
            if (sambuf[5] == 0 && sambuf[6] == 3 && x == sambuf[9]) sam_answer(emit, sambuf[7], sambuf[8]);
            samlen = 0;
        }
    }
}

/// A bed's stdin line for the reader: 1 when it was one (and answered), else 0.
static int sam_command(const char *line) {
    if (strncmp(line, "card ", 5) == 0) {
        char path[900];
        FILE *f = sscanf(line + 5, "%899s", path) == 1 ? fopen(path, "rb") : NULL;
        if (f == NULL) { printf("error cannot open\n"); return 1; }
        card_len = fread(card_reply, 1, sizeof card_reply, f);
        fclose(f);
        card_present = 1;
        printf("ok\n");
    } else if (strncmp(line, "remove", 6) == 0) {
        card_present = 0;
        printf("ok\n");
    } else if (strncmp(line, "vanish", 6) == 0) {
        card_vanish = 1;
        printf("ok\n");
    } else if (strncmp(line, "reads", 5) == 0) {
        printf("ok reads %d\n", idcard_reads);
    } else {
        return 0;
    }
    return 1;
}

#endif
