/* ether: a tiny IP host on the c7200's DEC 21140 (FastEthernet0/0 of the C7200-IO-FE).
 *
 * Finds the chip by enumerating the PCI bus behind the Galileo controller's configuration
 * ports (bridges get bus numbers as it goes), maps its CSRs at CSR_PHYS through BAR 0x14,
 * reads the station MAC from the serial ROM (CSR9 bit-bang), the PHY's link status (MII
 * through CSR9), sets up RX/TX descriptor rings and a perfect-filter setup frame, and takes
 * the chip's interrupt through the mid-plane FPGA (IP2). It answers ARP requests for its IP
 * (10.0.0.1 unless set with `ip A.B.C.D`) and ICMP echo requests, printing one line per
 * frame. Console commands: `ping A.B.C.D` (ARP first, then 3 echo requests), `ip A.B.C.D`,
 * `stats`, `help`, `exit` (back to the ROM). */
#include "common/fw.h"

#define GT_BASE      0x14000000
#define GT_CFG_ADDR  (GT_BASE + 0xcf8)
#define GT_CFG_DATA  (GT_BASE + 0xcfc)
#define MP_NET_MASK_A 0x1e800020      /* mid-plane FPGA: network IRQ mask, slots 0,1,4,3 */
#define CSR_PHYS     0x1d000000       /* where we place the CSR window (an unused hole) */
#define DEC21140_ID  0x00091011

#define NRX 8
#define NTX 4
#define BUFSZ 1536

/* CSR5/CSR7 bits */
#define TI  (1u << 0)
#define TU  (1u << 2)
#define RI  (1u << 6)
#define RU  (1u << 7)
#define AIS (1u << 15)
#define NIS (1u << 16)
/* CSR6 */
#define SR (1u << 1)
#define ST (1u << 13)
/* CSR9 */
#define SROM_CS  0x01
#define SROM_CLK 0x02
#define SROM_DI  0x04
#define SROM_DO  0x08
#define CSR9_SR  0x0800
#define CSR9_RD  0x4000
#define CSR9_WR  0x2000
#define MII_MDC  0x10000
#define MII_MDO  0x20000
#define MII_RDM  0x40000
#define MII_MDI  0x80000
/* descriptors */
#define OWN  0x80000000u
#define RER  (1u << 25)
#define TER  (1u << 25)
#define T_IC (1u << 31)
#define T_LS (1u << 30)
#define T_FS (1u << 29)
#define T_SET (1u << 27)

struct desc { volatile u32 w0, w1, w2, w3; };

static struct desc rxd[NRX] __attribute__((aligned(16)));
static struct desc txd[NTX] __attribute__((aligned(16)));
static u8 rxbuf[NRX][BUFSZ] __attribute__((aligned(16)));
static u8 txbuf[NTX][BUFSZ] __attribute__((aligned(16)));
static u32 rx_next, tx_next;
static u8 mac[6];
static u8 my_ip[4] = {10, 0, 0, 1};
static volatile u32 irqs, irq_status;
static u32 rx_frames, tx_frames;

/* ping state */
static u8 peer_ip[4], peer_mac[6];
static int peer_mac_known;
static volatile int got_reply;
static u16 ping_id = 0x7064, ping_seq;

static u32 phys(const volatile void *p) { return (u32)p & 0x1fffffffu; }
/* the chip sees memory, not the CPU's caches: descriptors and buffers go through KSEG1 */
static struct desc *rx_ring(void) { return (struct desc *)(phys(rxd) | 0xa0000000u); }
static struct desc *tx_ring(void) { return (struct desc *)(phys(txd) | 0xa0000000u); }
static u8 *rx_buffer(u32 i) { return (u8 *)(phys(rxbuf[i]) | 0xa0000000u); }
static u8 *tx_buffer(u32 i) { return (u8 *)(phys(txbuf[i]) | 0xa0000000u); }

static u32 swap32(u32 v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* ---------------------------------------------------------------- PCI configuration */
static u32 cfg_addr(u32 bus, u32 dev, u32 reg)
{
    return 0x80000000u | (bus << 16) | (dev << 11) | reg;
}

static u32 cfg_read(u32 bus, u32 dev, u32 reg)
{
    REG32(GT_CFG_ADDR) = swap32(cfg_addr(bus, dev, reg));   /* the GT is little-endian */
    return swap32(REG32(GT_CFG_DATA));
}

static void cfg_write(u32 bus, u32 dev, u32 reg, u32 v)
{
    REG32(GT_CFG_ADDR) = swap32(cfg_addr(bus, dev, reg));
    REG32(GT_CFG_DATA) = swap32(v);
}

static u32 next_bus = 1;
static int nic_bus = -1, nic_dev = -1, nic_depth = 99;

/* Depth-first: a bridge gets the next bus number, subordinate 0xff while its side is
 * scanned, then the last number used. Ours is the 21140 nearest the root (the I/O card's:
 * on bus 0 with a GT-64010, behind the first bridge with a GT-64120; port adapters sit
 * deeper or later), the first found at that depth. */
static void pci_scan(u32 bus, int depth)
{
    u32 dev, id, cls, sec;
    for (dev = 0; dev < 32; dev++) {
        id = cfg_read(bus, dev, 0);
        if (id == 0xffffffffu)
            continue;
        cls = cfg_read(bus, dev, 8) >> 16;
        if (cls == 0x0604) {
            sec = next_bus++;
            cfg_write(bus, dev, 0x18, bus | (sec << 8) | (0xffu << 16));
            pci_scan(sec, depth + 1);
            cfg_write(bus, dev, 0x18, bus | (sec << 8) | ((next_bus - 1) << 16));
        } else if (id == DEC21140_ID && depth < nic_depth) {
            nic_bus = (int)bus;
            nic_dev = (int)dev;
            nic_depth = depth;
        }
    }
}

/* ---------------------------------------------------------------- CSRs */
static u32 csr_read(int n) { return REG32(CSR_PHYS + 8 * n); }
static void csr_write(int n, u32 v) { REG32(CSR_PHYS + 8 * n) = v; }

static u16 srom_word(u32 addr)
{
    u32 cmd = (0x6u << 6) | (addr & 0x3f);    /* start 1, READ 10, 6 address bits */
    u32 base = CSR9_SR | CSR9_RD | SROM_CS, v = 0;
    int i;
    csr_write(9, CSR9_SR | CSR9_RD);
    csr_write(9, base);
    for (i = 8; i >= 0; i--) {
        u32 d = (cmd >> i) & 1 ? SROM_DI : 0;
        csr_write(9, base | d);
        csr_write(9, base | d | SROM_CLK);
        csr_write(9, base | d);
    }
    for (i = 0; i < 16; i++) {
        csr_write(9, base | SROM_CLK);
        v = (v << 1) | ((csr_read(9) & SROM_DO) ? 1 : 0);
        csr_write(9, base);
    }
    csr_write(9, CSR9_SR | CSR9_RD);
    csr_write(9, 0);
    return (u16)v;
}

static void mii_out(u32 bits, int n)
{
    while (n--) {
        u32 d = (bits >> n) & 1 ? MII_MDO : 0;
        csr_write(9, CSR9_WR | d);
        csr_write(9, CSR9_WR | d | MII_MDC);
    }
}

static u32 mii_read(u32 phy, u32 reg)
{
    u32 v = 0;
    int i;
    mii_out(0xffffffffu, 32);                              /* preamble */
    mii_out((0x6u << 10) | (phy << 5) | reg, 14);          /* 01 10 phy reg */
    for (i = 0; i < 17; i++) {                             /* turnaround 0, D15..D0 */
        csr_write(9, MII_RDM | CSR9_RD);
        csr_write(9, MII_RDM | CSR9_RD | MII_MDC);
        v = (v << 1) | ((csr_read(9) & MII_MDI) ? 1 : 0);
    }
    return v & 0xffff;
}

/* ---------------------------------------------------------------- printing */
static void put_mac(const u8 *m)
{
    int i;
    for (i = 0; i < 6; i++) {
        if (i)
            putc(':');
        put_hex8(m[i]);
    }
}

static void put_ip(const u8 *ip)
{
    int i;
    for (i = 0; i < 4; i++) {
        if (i)
            putc('.');
        put_dec(ip[i]);
    }
}

static int parse_ip(const char *s, u8 *ip)
{
    int i;
    for (i = 0; i < 4; i++) {
        u32 v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (u32)(*s++ - '0');
            digits++;
        }
        if (!digits || v > 255)
            return 0;
        ip[i] = (u8)v;
        if (i < 3 && *s++ != '.')
            return 0;
    }
    return *s == 0;
}

static int eq(const u8 *a, const u8 *b, int n)
{
    while (n--)
        if (*a++ != *b++)
            return 0;
    return 1;
}

static u16 get16(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }
static void put16(u8 *p, u32 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }

static u16 csum(const u8 *p, u32 n)
{
    u32 s = 0;
    while (n > 1) {
        s += get16(p);
        p += 2;
        n -= 2;
    }
    if (n)
        s += (u32)p[0] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (u16)~s;
}

/* ---------------------------------------------------------------- rings */
static void rings_init(void)
{
    int i;
    struct desc *r = rx_ring(), *t = tx_ring();
    for (i = 0; i < NRX; i++) {
        r[i].w1 = BUFSZ | (i == NRX - 1 ? RER : 0);
        r[i].w2 = phys(rxbuf[i]);
        r[i].w3 = 0;
        r[i].w0 = OWN;
    }
    for (i = 0; i < NTX; i++) {
        t[i].w0 = 0;
        t[i].w1 = i == NTX - 1 ? TER : 0;
        t[i].w2 = phys(txbuf[i]);
        t[i].w3 = 0;
    }
    rx_next = tx_next = 0;
    csr_write(3, phys(rxd));
    csr_write(4, phys(txd));
}

/* Queue one frame (or a setup frame) and kick the transmitter. */
static int tx_queue(const u8 *data, u32 len, u32 flags)
{
    struct desc *t = &tx_ring()[tx_next];
    u8 *buf = tx_buffer(tx_next);
    if (t->w0 & OWN)
        return 0;                                   /* ring full */
    memcpy(buf, data, len);
    t->w1 = (t->w1 & TER) | flags | len;
    t->w0 = OWN;
    tx_next = (tx_next + 1) % NTX;
    csr_write(1, 1);                                /* TX poll demand */
    tx_frames++;
    return 1;
}

static void send_setup_frame(void)
{
    u8 setup[192];
    int e, k;
    static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memset(setup, 0, sizeof(setup));
    for (e = 0; e < 16; e++) {
        const u8 *m = e == 1 ? bcast : mac;        /* unused entries repeat our address */
        for (k = 0; k < 3; k++) {
            setup[12 * e + 4 * k] = m[2 * k];
            setup[12 * e + 4 * k + 1] = m[2 * k + 1];
        }
    }
    tx_queue(setup, sizeof(setup), T_SET | T_IC);
    tx_frames--;
}

/* ---------------------------------------------------------------- protocols */
static u8 frame[BUFSZ];

static void eth_header(u8 *f, const u8 *dst, u32 type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, mac, 6);
    put16(f + 12, type);
}

static void send_arp(u32 op, const u8 *tha, const u8 *tpa, const u8 *eth_dst)
{
    u8 *a = frame + 14;
    eth_header(frame, eth_dst, 0x0806);
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, mac, 6);
    memcpy(a + 14, my_ip, 4);
    memcpy(a + 18, tha, 6);
    memcpy(a + 24, tpa, 4);
    tx_queue(frame, 42, T_FS | T_LS);
}

static void send_echo_request(void)
{
    u8 *ip = frame + 14, *icmp = frame + 34;
    int i;
    eth_header(frame, peer_mac, 0x0800);
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, 20 + 8 + 32);
    put16(ip + 4, ping_seq);
    put16(ip + 6, 0);
    ip[8] = 64;
    ip[9] = 1;
    put16(ip + 10, 0);
    memcpy(ip + 12, my_ip, 4);
    memcpy(ip + 16, peer_ip, 4);
    put16(ip + 10, csum(ip, 20));
    icmp[0] = 8;
    icmp[1] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 4, ping_id);
    put16(icmp + 6, ping_seq);
    for (i = 0; i < 32; i++)
        icmp[8 + i] = (u8)('a' + i % 23);
    put16(icmp + 2, csum(icmp, 40));
    tx_queue(frame, 14 + 60, T_FS | T_LS);
}

static void handle_arp(u8 *f, u32 len)
{
    u8 *a = f + 14;
    u32 op;
    if (len < 42 || get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) {
        putln("rx: malformed arp");
        return;
    }
    op = get16(a + 6);
    if (op == 1 && eq(a + 24, my_ip, 4)) {
        u8 sha[6], spa[4];
        memcpy(sha, a + 8, 6);
        memcpy(spa, a + 14, 4);
        puts("arp: who-has ");
        put_ip(a + 24);
        puts(" tell ");
        put_ip(spa);
        putln(" -> reply");
        send_arp(2, sha, spa, sha);
    } else if (op == 2 && eq(a + 14, peer_ip, 4)) {
        memcpy(peer_mac, a + 8, 6);
        peer_mac_known = 1;
        puts("arp: ");
        put_ip(peer_ip);
        puts(" is-at ");
        put_mac(peer_mac);
        putc('\n');
    } else {
        puts("arp: op ");
        put_dec(op);
        puts(" for ");
        put_ip(a + 24);
        putln(" ignored");
    }
}

static void handle_ip(u8 *f, u32 len)
{
    u8 *ip = f + 14, *icmp;
    u32 ihl, tot, n;
    u8 src[4];
    if (len < 34 || (ip[0] >> 4) != 4 || csum(ip, (ip[0] & 15) * 4) != 0) {
        putln("rx: bad ipv4 header");
        return;
    }
    ihl = (ip[0] & 15) * 4;
    tot = get16(ip + 2);
    if (tot > len - 14 || tot < ihl + 8) {
        putln("rx: bad ipv4 length");
        return;
    }
    if (!eq(ip + 16, my_ip, 4) || ip[9] != 1) {
        puts("rx: ipv4 proto ");
        put_dec(ip[9]);
        puts(" to ");
        put_ip(ip + 16);
        putln(" ignored");
        return;
    }
    icmp = ip + ihl;
    n = tot - ihl;
    memcpy(src, ip + 12, 4);
    if (icmp[0] == 8) {
        puts("icmp: echo request from ");
        put_ip(src);
        puts(" id ");
        put_dec(get16(icmp + 4));
        puts(" seq ");
        put_dec(get16(icmp + 6));
        putln(" -> reply");
        memcpy(f, f + 6, 6);                   /* answer in place */
        memcpy(f + 6, mac, 6);
        memcpy(ip + 16, src, 4);
        memcpy(ip + 12, my_ip, 4);
        ip[8] = 64;
        put16(ip + 10, 0);
        put16(ip + 10, csum(ip, ihl));
        icmp[0] = 0;
        put16(icmp + 2, 0);
        put16(icmp + 2, csum(icmp, n));
        tx_queue(f, 14 + tot, T_FS | T_LS);
    } else if (icmp[0] == 0 && get16(icmp + 4) == ping_id) {
        puts("reply from ");
        put_ip(src);
        puts(": seq ");
        put_dec(get16(icmp + 6));
        puts(" ttl ");
        put_dec(ip[8]);
        putc('\n');
        if (get16(icmp + 6) == ping_seq)
            got_reply = 1;
    } else {
        puts("icmp: type ");
        put_dec(icmp[0]);
        putln(" ignored");
    }
}

static void handle_frame(u8 *f, u32 len)
{
    u32 type = get16(f + 12);
    rx_frames++;
    if (type == 0x0806)
        handle_arp(f, len);
    else if (type == 0x0800)
        handle_ip(f, len);
    else {
        puts("rx: ");
        put_dec(len);
        puts(" bytes type ");
        put_hex32(type);
        putln(" ignored");
    }
}

/* Take every frame the chip has finished, give the descriptors back. */
static void rx_poll(void)
{
    for (;;) {
        struct desc *r = &rx_ring()[rx_next];
        u32 st = r->w0, len;
        if (st & OWN)
            return;
        len = (st >> 16) & 0x3fff;
        if ((st & 0x300) == 0x300 && len >= 18) {       /* FS and LS: whole frame here */
            len -= 4;                                   /* the FCS */
            memcpy(frame, rx_buffer(rx_next), len);
            r->w0 = OWN;
            rx_next = (rx_next + 1) % NRX;
            handle_frame(frame, len);
        } else {
            puts("rx: descriptor status ");
            put_hex32(st);
            putc('\n');
            r->w0 = OWN;
            rx_next = (rx_next + 1) % NRX;
        }
    }
}

/* ---------------------------------------------------------------- interrupts */
static void on_exception(struct frame *f)
{
    if (CAUSE_EXC(f->cause) == 0 && (f->cause & CAUSE_IP(2))) {
        u32 s = csr_read(5);
        csr_write(5, s & 0x1ffff);                      /* write 1 to clear: drops the line */
        irq_status |= s;
        irqs++;
        return;
    }
    if (CAUSE_EXC(f->cause) == 0 && (f->cause & CAUSE_IP(7))) {
        mtc0(C0_COMPARE, mfc0(C0_COUNT) + 0x40000000u);  /* acknowledge, then stay quiet */
        return;
    }
    puts("\nether: unexpected exception cause ");
    put_hex32(f->cause);
    puts(" epc ");
    put_hex32(f->epc);
    putc('\n');
    f->status = (f->status | ST_BEV) & ~ST_IE;
    f->epc = (u32)return_to_rom;
}

/* Wait (polling the ring) until cond() or `ticks` of Count have passed. */
static int wait_for(volatile int *flag, u32 ticks)
{
    u32 start = mfc0(C0_COUNT);
    while (!*flag) {
        rx_poll();
        if (mfc0(C0_COUNT) - start > ticks)
            return 0;
    }
    return 1;
}

#define WAIT_TICKS 25000000u

static void ping(const u8 *target)
{
    static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const u8 zero[6];
    u32 ok = 0, i;
    memcpy(peer_ip, target, 4);
    peer_mac_known = 0;
    puts("ping ");
    put_ip(peer_ip);
    putln(": arp request");
    send_arp(1, zero, peer_ip, bcast);
    if (!wait_for(&peer_mac_known, WAIT_TICKS)) {
        putln("ping: no arp reply");
        return;
    }
    for (i = 0; i < 3; i++) {
        ping_seq = (u16)(i + 1);
        got_reply = 0;
        send_echo_request();
        if (wait_for(&got_reply, WAIT_TICKS))
            ok++;
        else {
            puts("timeout seq ");
            put_dec(ping_seq);
            putc('\n');
        }
    }
    puts("ping: ");
    put_dec(ok);
    putln("/3 replies");
}

static void command(char *line)
{
    u8 ip[4];
    if (!line[0])
        return;
    if (!strcmp(line, "help")) {
        putln("commands: ping A.B.C.D, ip A.B.C.D, stats, help, exit");
    } else if (line[0] == 'p' && line[1] == 'i' && line[2] == 'n' && line[3] == 'g' &&
               line[4] == ' ') {
        if (parse_ip(line + 5, ip))
            ping(ip);
        else
            putln("% bad address");
    } else if (line[0] == 'i' && line[1] == 'p' && line[2] == ' ') {
        if (parse_ip(line + 3, ip)) {
            memcpy(my_ip, ip, 4);
            puts("ip ");
            put_ip(my_ip);
            putc('\n');
        } else
            putln("% bad address");
    } else if (!strcmp(line, "stats")) {
        puts("rx ");
        put_dec(rx_frames);
        puts(" tx ");
        put_dec(tx_frames);
        puts(" irqs ");
        put_dec(irqs);
        puts(" missed ");
        put_dec(csr_read(8) & 0xffff);
        putc('\n');
    } else {
        puts("% unknown command: ");
        putln(line);
    }
}

static int nic_init(void)
{
    u16 w;
    int i;
    u32 id = cfg_read(0, 0, 0);
    puts("pci: host bridge ");
    put_hex32(id);
    putc('\n');
    pci_scan(0, 0);
    if (nic_bus < 0) {
        putln("pci: no dec21140 found");
        return 0;
    }
    puts("pci: dec21140 at bus ");
    put_dec((u32)nic_bus);
    puts(" dev ");
    put_dec((u32)nic_dev);
    putc('\n');
    cfg_write((u32)nic_bus, (u32)nic_dev, 0x14, CSR_PHYS);           /* CBMA */
    cfg_write((u32)nic_bus, (u32)nic_dev, 0x04, 0x06);               /* memory, master */
    csr_write(0, 1);                                                 /* software reset */
    csr_write(0, 0);
    for (i = 0; i < 3; i++) {
        w = srom_word(10 + i);
        mac[2 * i] = (u8)w;
        mac[2 * i + 1] = (u8)(w >> 8);
    }
    puts("mac ");
    put_mac(mac);
    putc('\n');
    puts("phy: bmsr ");
    put_hex32(mii_read(1, 1));
    puts((mii_read(1, 1) & 4) ? " link up" : " link down");
    putc('\n');
    rings_init();
    csr_write(7, NIS | AIS | RI | TI | RU);
    csr_write(6, ST);
    send_setup_frame();
    for (i = 0; i < 100000 && (tx_ring()[0].w0 & OWN); i++)
        ;
    csr_write(6, ST | SR);
    return 1;
}

int main(void)
{
    char line[64];
    int n = 0, c;

    putln("");
    putln("ether: pydynamips dec21140 test host");
    exc_install(on_exception);
    mtc0(C0_COMPARE, mfc0(C0_COUNT) + 0x40000000u);
    if (!nic_init()) {
        exc_uninstall();
        return 1;
    }
    REG32(MP_NET_MASK_A) = 0x000000ff;                 /* slot 0's ports */
    mtc0(C0_STATUS, (mfc0(C0_STATUS) & ~0xff00) | ST_IM(2) | ST_IM(7) | ST_IE);
    puts("ip ");
    put_ip(my_ip);
    putc('\n');
    puts("ether> ");
    for (;;) {
        rx_poll();
        c = getc_nowait();
        if (c < 0)
            continue;
        if (c == '\r' || c == '\n') {
            putc('\n');
            line[n] = 0;
            n = 0;
            if (!strcmp(line, "exit")) {
                putln("bye");
                csr_write(6, 0);
                exc_uninstall();
                return 0;
            }
            command(line);
            puts("ether> ");
        } else if ((c == 8 || c == 127) && n > 0) {
            n--;
            puts("\b \b");
        } else if (c >= ' ' && c < 127 && n < (int)sizeof(line) - 1) {
            line[n++] = (char)c;
            putc(c);
        }
    }
}
