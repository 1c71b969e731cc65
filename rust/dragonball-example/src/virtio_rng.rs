//! virtio-rng (device ID 4) on the virtio-mmio transport (version 2), one
//! queue: the vCPU threads handle the register accesses (MMIO exits), the
//! device's own thread, in role `virtio_rng`, serves the queue.  The
//! guest's notify reaches that thread through an ioeventfd (no exit to
//! user space) and the used-buffer interrupt goes back through an irqfd,
//! so the device thread needs only read, write, getrandom and futexes.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{fence, Ordering};
use std::sync::{Arc, Mutex};

use crate::kvm::{GuestMemory, Vm};

const MAGIC: u32 = 0x7472_6976; // "virt"
const VERSION: u32 = 2;
const DEVICE_ID_RNG: u32 = 4;
const VENDOR_ID: u32 = 0x5453_5552; // "RUST"
const VIRTIO_F_VERSION_1: u64 = 1 << 32;
const QUEUE_NUM_MAX: u32 = 256;

const REG_MAGIC: u64 = 0x000;
const REG_VERSION: u64 = 0x004;
const REG_DEVICE_ID: u64 = 0x008;
const REG_VENDOR_ID: u64 = 0x00c;
const REG_DEVICE_FEATURES: u64 = 0x010;
const REG_DEVICE_FEATURES_SEL: u64 = 0x014;
const REG_DRIVER_FEATURES: u64 = 0x020;
const REG_DRIVER_FEATURES_SEL: u64 = 0x024;
const REG_QUEUE_SEL: u64 = 0x030;
const REG_QUEUE_NUM_MAX: u64 = 0x034;
const REG_QUEUE_NUM: u64 = 0x038;
const REG_QUEUE_READY: u64 = 0x044;
pub const REG_QUEUE_NOTIFY: u64 = 0x050;
const REG_INTERRUPT_STATUS: u64 = 0x060;
const REG_INTERRUPT_ACK: u64 = 0x064;
const REG_STATUS: u64 = 0x070;
const REG_QUEUE_DESC: u64 = 0x080;
const REG_QUEUE_DRIVER: u64 = 0x090;
const REG_QUEUE_DEVICE: u64 = 0x0a0;
const REG_CONFIG_GENERATION: u64 = 0x0fc;

const STATUS_FEATURES_OK: u32 = 0x08;
const STATUS_DRIVER_OK: u32 = 0x04;
const STATUS_NEEDS_RESET: u32 = 0x40;
const INT_USED_BUFFER: u32 = 0x1;
const DESC_F_NEXT: u16 = 0x1;
const DESC_F_WRITE: u16 = 0x2;

#[derive(Default)]
struct Queue {
    num: u32,
    ready: bool,
    desc: u64,
    avail: u64,
    used: u64,
    next_avail: u16,
    next_used: u16,
}

#[derive(Default)]
struct Regs {
    status: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    queue_sel: u32,
    queue: Queue,
    interrupt_status: u32,
    /// Bytes given to the guest, for GET /vm.
    served: u64,
}

/// The device: its registers (shared by the vCPU threads and its own),
/// guest memory and the two eventfds.
pub struct VirtioRng {
    regs: Mutex<Regs>,
    mem: Arc<GuestMemory>,
    notify: OwnedFd,
    irq: OwnedFd,
}

fn set_low(v: &mut u64, x: u32) {
    *v = (*v & !0xffff_ffff) | x as u64;
}

fn set_high(v: &mut u64, x: u32) {
    *v = (*v & 0xffff_ffff) | ((x as u64) << 32);
}

impl VirtioRng {
    /// The device in the slot at `base`, interrupting on `gsi`.
    pub fn new(vm: &Vm, mem: Arc<GuestMemory>, base: u64, gsi: u32) -> io::Result<VirtioRng> {
        Ok(VirtioRng {
            regs: Mutex::new(Regs::default()),
            mem,
            notify: vm.ioeventfd(base + REG_QUEUE_NOTIFY)?,
            irq: vm.irqfd(gsi)?,
        })
    }

    /// Bytes of entropy the guest got so far.
    pub fn served(&self) -> u64 {
        self.regs.lock().unwrap().served
    }

    /// A register read by the guest (32-bit registers; other widths read
    /// the low bytes).
    pub fn read(&self, offset: u64, data: &mut [u8]) {
        let r = self.regs.lock().unwrap();
        let q = &r.queue;
        let v: u32 = match offset {
            REG_MAGIC => MAGIC,
            REG_VERSION => VERSION,
            REG_DEVICE_ID => DEVICE_ID_RNG,
            REG_VENDOR_ID => VENDOR_ID,
            REG_DEVICE_FEATURES => match r.device_features_sel {
                0 => VIRTIO_F_VERSION_1 as u32,
                1 => (VIRTIO_F_VERSION_1 >> 32) as u32,
                _ => 0,
            },
            REG_QUEUE_NUM_MAX if r.queue_sel == 0 => QUEUE_NUM_MAX,
            REG_QUEUE_READY if r.queue_sel == 0 => q.ready as u32,
            REG_INTERRUPT_STATUS => r.interrupt_status,
            REG_STATUS => r.status,
            REG_CONFIG_GENERATION => 0,
            _ => 0,
        };
        let bytes = v.to_le_bytes();
        let n = data.len().min(4);
        data[..n].copy_from_slice(&bytes[..n]);
    }

    /// A register write by the guest.
    pub fn write(&self, offset: u64, data: &[u8]) {
        let mut b = [0u8; 4];
        let n = data.len().min(4);
        b[..n].copy_from_slice(&data[..n]);
        let v = u32::from_le_bytes(b);
        let mut r = self.regs.lock().unwrap();
        let q0 = r.queue_sel == 0;
        match offset {
            REG_DEVICE_FEATURES_SEL => r.device_features_sel = v,
            REG_DRIVER_FEATURES_SEL => r.driver_features_sel = v,
            REG_DRIVER_FEATURES => match r.driver_features_sel {
                0 => set_low(&mut r.driver_features, v),
                1 => set_high(&mut r.driver_features, v),
                _ => {}
            },
            REG_QUEUE_SEL => r.queue_sel = v,
            REG_QUEUE_NUM if q0 => r.queue.num = v,
            REG_QUEUE_READY if q0 => {
                let q = &mut r.queue;
                // A queue the driver cannot have laid out is refused: the
                // device asks for a reset instead of reading wild memory.
                if v == 1 && (q.num == 0 || q.num > QUEUE_NUM_MAX || !q.num.is_power_of_two()) {
                    r.status |= STATUS_NEEDS_RESET;
                } else {
                    q.ready = v == 1;
                }
            }
            REG_QUEUE_DESC if q0 => set_low(&mut r.queue.desc, v),
            0x084 if q0 => set_high(&mut r.queue.desc, v),
            REG_QUEUE_DRIVER if q0 => set_low(&mut r.queue.avail, v),
            0x094 if q0 => set_high(&mut r.queue.avail, v),
            REG_QUEUE_DEVICE if q0 => set_low(&mut r.queue.used, v),
            0x0a4 if q0 => set_high(&mut r.queue.used, v),
            REG_INTERRUPT_ACK => r.interrupt_status &= !v,
            REG_STATUS => {
                if v == 0 {
                    let served = r.served;
                    *r = Regs {
                        served,
                        ..Regs::default()
                    };
                } else if v & STATUS_FEATURES_OK != 0
                    && r.status & STATUS_FEATURES_OK == 0
                    && r.driver_features & !VIRTIO_F_VERSION_1 != 0
                {
                    // Features we never offered: FEATURES_OK does not stick.
                    r.status = v & !STATUS_FEATURES_OK;
                } else {
                    r.status = v;
                }
            }
            _ => {}
        }
    }

    /// The device thread's loop: waits for a notify, serves every
    /// available chain, interrupts.  Never returns but on an error of the
    /// eventfds.
    pub fn run(&self) -> io::Error {
        loop {
            let mut count = [0u8; 8];
            // SAFETY: reads 8 bytes into a local buffer.
            let n = unsafe { libc::read(self.notify.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return e;
            }
            if self.serve() {
                let one = 1u64.to_ne_bytes();
                // SAFETY: writes 8 bytes from a local buffer.
                if unsafe { libc::write(self.irq.as_raw_fd(), one.as_ptr().cast(), 8) } < 0 {
                    return io::Error::last_os_error();
                }
            }
        }
    }

    /// Fills the buffers of every available chain; true if any was used.
    fn serve(&self) -> bool {
        let mut r = self.regs.lock().unwrap();
        if r.status & STATUS_DRIVER_OK == 0 || r.status & STATUS_NEEDS_RESET != 0 || !r.queue.ready
        {
            return false;
        }
        let m = &*self.mem;
        let Some(avail_idx) = m.read::<u16>(r.queue.avail + 2) else {
            r.status |= STATUS_NEEDS_RESET;
            return false;
        };
        // The ring entries are read after the index that published them.
        fence(Ordering::Acquire);
        let mut used_any = false;
        while r.queue.next_avail != avail_idx {
            let q = &r.queue;
            let slot = (q.next_avail as u64) % q.num as u64;
            let Some(head) = m.read::<u16>(q.avail + 4 + 2 * slot) else {
                r.status |= STATUS_NEEDS_RESET;
                return used_any;
            };
            let Some(written) = self.fill_chain(q, head) else {
                r.status |= STATUS_NEEDS_RESET;
                return used_any;
            };
            let used = (q.next_used as u64) % q.num as u64;
            let entry = q.used + 4 + 8 * used;
            if m.write::<u32>(entry, head as u32).is_none()
                || m.write::<u32>(entry + 4, written).is_none()
            {
                r.status |= STATUS_NEEDS_RESET;
                return used_any;
            }
            r.queue.next_avail = r.queue.next_avail.wrapping_add(1);
            r.queue.next_used = r.queue.next_used.wrapping_add(1);
            r.served += written as u64;
            // The entry is visible before the index that publishes it.
            fence(Ordering::Release);
            if m.write::<u16>(r.queue.used + 2, r.queue.next_used)
                .is_none()
            {
                r.status |= STATUS_NEEDS_RESET;
                return used_any;
            }
            used_any = true;
        }
        if used_any {
            r.interrupt_status |= INT_USED_BUFFER;
        }
        used_any
    }

    /// Random bytes into the writable buffers of the chain at `head`;
    /// `None` for a chain that leaves guest memory, loops or is longer
    /// than the queue.
    fn fill_chain(&self, q: &Queue, head: u16) -> Option<u32> {
        let m = &*self.mem;
        let mut i = head as u32;
        let mut written = 0u32;
        for _ in 0..q.num {
            if i >= q.num {
                return None;
            }
            let d = q.desc + 16 * i as u64;
            let addr = m.read::<u64>(d)?;
            let len = m.read::<u32>(d + 8)?;
            let flags = m.read::<u16>(d + 12)?;
            let next = m.read::<u16>(d + 14)?;
            if flags & DESC_F_WRITE != 0 {
                let p = m.ptr(addr, len as u64)?;
                let mut off = 0usize;
                while off < len as usize {
                    // SAFETY: p..p+len is guest memory, checked above.
                    let n = unsafe { libc::getrandom(p.add(off).cast(), len as usize - off, 0) };
                    if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                        continue;
                    }
                    if n <= 0 {
                        return Some(written);
                    }
                    off += n as usize;
                    written += n as u32;
                }
            }
            if flags & DESC_F_NEXT == 0 {
                return Some(written);
            }
            i = next as u32;
        }
        None
    }
}
