//! KVM through libc ioctls: the VM, its memory, and vCPUs set up for the
//! sample guest's 64-bit entry (sample_vmm/guest/abi.h).
//!
//! The numbers and layouts are those of <linux/kvm.h> on x86-64; only the
//! fields this example reads or writes are named.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

// ioctl numbers (<linux/kvm.h>, KVMIO = 0xae).
const KVM_GET_API_VERSION: u64 = 0xae00;
const KVM_CREATE_VM: u64 = 0xae01;
const KVM_CHECK_EXTENSION: u64 = 0xae03;
const KVM_GET_VCPU_MMAP_SIZE: u64 = 0xae04;
const KVM_GET_SUPPORTED_CPUID: u64 = 0xc008_ae05;
const KVM_CREATE_VCPU: u64 = 0xae41;
const KVM_SET_USER_MEMORY_REGION: u64 = 0x4020_ae46;
const KVM_SET_TSS_ADDR: u64 = 0xae47;
const KVM_CREATE_IRQCHIP: u64 = 0xae60;
const KVM_IRQFD: u64 = 0x4020_ae76;
const KVM_IOEVENTFD: u64 = 0x4040_ae79;
const KVM_RUN: u64 = 0xae80;
const KVM_SET_REGS: u64 = 0x4090_ae82;
const KVM_GET_SREGS: u64 = 0x8138_ae83;
const KVM_SET_SREGS: u64 = 0x4138_ae84;
const KVM_SET_CPUID2: u64 = 0x4008_ae90;
const KVM_SET_MP_STATE: u64 = 0x4004_ae99;

const KVM_API_VERSION: i32 = 12;
const KVM_CAP_IRQCHIP: u64 = 0;
const KVM_CAP_USER_MEMORY: u64 = 3;
const KVM_CAP_SET_TSS_ADDR: u64 = 4;
const KVM_CAP_IRQFD: u64 = 32;
const KVM_CAP_IOEVENTFD: u64 = 36;
const KVM_MP_STATE_RUNNABLE: u32 = 0;

pub const KVM_EXIT_IO: u32 = 2;
pub const KVM_EXIT_HLT: u32 = 5;
pub const KVM_EXIT_MMIO: u32 = 6;
pub const KVM_EXIT_SHUTDOWN: u32 = 8;
pub const KVM_EXIT_FAIL_ENTRY: u32 = 9;
pub const KVM_EXIT_INTR: u32 = 10;
pub const KVM_EXIT_INTERNAL_ERROR: u32 = 17;
pub const KVM_EXIT_SYSTEM_EVENT: u32 = 24;

/// Where KVM may keep the real-mode TSS on Intel hosts: below the IOAPIC,
/// outside RAM and the device windows (as sample_vmm/vm.c).
const TSS_ADDR: u64 = 0xfffb_d000;

// The guest ABI (sample_vmm/guest/abi.h).
pub const GUEST_GDT: u64 = 0x0500;
pub const GUEST_PML4: u64 = 0x1000;
pub const GUEST_BOOT_INFO: u64 = 0x6000;
pub const GUEST_STACKS: u64 = 0x30000;
pub const GUEST_STACK_SIZE: u64 = 0x4000;
pub const GUEST_LOAD_ADDR: u64 = 0x10_0000;
pub const GUEST_MAX_VCPUS: u32 = 8;
const GUEST_CODE_SEL: u16 = 0x10;
const GUEST_DATA_SEL: u16 = 0x18;
const GUEST_IMAGE_MAGIC: u64 = 0x3154_5347_4d4d_5653; // "SVMMGST1"
const GUEST_BOOT_MAGIC: u32 = 0x4d4d_5653; // "SVMM"
pub const GUEST_FLAG_STAY: u32 = 0x1;

#[repr(C)]
struct UserspaceMemoryRegion {
    slot: u32,
    flags: u32,
    guest_phys_addr: u64,
    memory_size: u64,
    userspace_addr: u64,
}

#[repr(C)]
struct Irqfd {
    fd: u32,
    gsi: u32,
    flags: u32,
    resamplefd: u32,
    pad: [u8; 16],
}

#[repr(C)]
struct Ioeventfd {
    datamatch: u64,
    addr: u64,
    len: u32,
    fd: i32,
    flags: u32,
    pad: [u8; 36],
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Segment {
    base: u64,
    limit: u32,
    selector: u16,
    type_: u8,
    present: u8,
    dpl: u8,
    db: u8,
    s: u8,
    l: u8,
    g: u8,
    avl: u8,
    unusable: u8,
    padding: u8,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Dtable {
    base: u64,
    limit: u16,
    padding: [u16; 3],
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Sregs {
    cs: Segment,
    ds: Segment,
    es: Segment,
    fs: Segment,
    gs: Segment,
    ss: Segment,
    tr: Segment,
    ldt: Segment,
    gdt: Dtable,
    idt: Dtable,
    cr0: u64,
    cr2: u64,
    cr3: u64,
    cr4: u64,
    cr8: u64,
    efer: u64,
    apic_base: u64,
    interrupt_bitmap: [u64; 4],
}

#[repr(C)]
#[derive(Default)]
struct Regs {
    rax: u64,
    rbx: u64,
    rcx: u64,
    rdx: u64,
    rsi: u64,
    rdi: u64,
    rsp: u64,
    rbp: u64,
    r8: u64,
    r9: u64,
    r10: u64,
    r11: u64,
    r12: u64,
    r13: u64,
    r14: u64,
    r15: u64,
    rip: u64,
    rflags: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CpuidEntry {
    function: u32,
    index: u32,
    flags: u32,
    eax: u32,
    ebx: u32,
    ecx: u32,
    edx: u32,
    padding: [u32; 3],
}

const CPUID_MAX_ENTRIES: usize = 256;

#[repr(C)]
struct Cpuid {
    nent: u32,
    padding: u32,
    entries: [CpuidEntry; CPUID_MAX_ENTRIES],
}

const _: () = assert!(std::mem::size_of::<Sregs>() == 0x138);
const _: () = assert!(std::mem::size_of::<Regs>() == 0x90);
const _: () = assert!(std::mem::size_of::<CpuidEntry>() == 0x28);
const _: () = assert!(std::mem::size_of::<Ioeventfd>() == 0x40);
const _: () = assert!(std::mem::size_of::<Irqfd>() == 0x20);

/// An error naming the step that failed.
fn err(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn ioctl(fd: &OwnedFd, req: u64, arg: u64) -> libc::c_int {
    // SAFETY: every caller passes a request with an argument of the size
    // and direction its number encodes (a value, or a pointer to a live
    // struct of the layout above).
    unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg) }
}

/// Guest memory: one anonymous mapping at guest-physical 0.
pub struct GuestMemory {
    host: *mut u8,
    size: u64,
}

// SAFETY: the mapping lives as long as the process (never unmapped: the
// VM and its threads use it until exit); accesses go through the checked,
// volatile helpers below, and the guest itself changes it concurrently
// anyway, which is why nothing hands out references into it.
unsafe impl Send for GuestMemory {}
unsafe impl Sync for GuestMemory {}

impl GuestMemory {
    fn new(size: u64) -> io::Result<GuestMemory> {
        // SAFETY: a fresh anonymous mapping, no existing memory involved.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(err(&format!("mmap of {} MiB of guest memory", size >> 20)));
        }
        Ok(GuestMemory {
            host: p.cast(),
            size,
        })
    }

    /// The host address of `len` bytes at `gpa`; `None` outside memory.
    pub fn ptr(&self, gpa: u64, len: u64) -> Option<*mut u8> {
        if gpa > self.size || len > self.size - gpa {
            return None;
        }
        // SAFETY: within the mapping, checked above.
        Some(unsafe { self.host.add(gpa as usize) })
    }

    pub fn read<T: Copy>(&self, gpa: u64) -> Option<T> {
        let p = self.ptr(gpa, std::mem::size_of::<T>() as u64)?;
        // SAFETY: in bounds; unaligned and volatile, since the guest may
        // be writing it.
        Some(unsafe { std::ptr::read_volatile(p.cast::<T>()) })
    }

    pub fn write<T: Copy>(&self, gpa: u64, v: T) -> Option<()> {
        let p = self.ptr(gpa, std::mem::size_of::<T>() as u64)?;
        // SAFETY: as for read.
        unsafe { std::ptr::write_volatile(p.cast::<T>(), v) };
        Some(())
    }

    fn copy_in(&self, gpa: u64, bytes: &[u8]) -> Option<()> {
        let p = self.ptr(gpa, bytes.len() as u64)?;
        // SAFETY: in bounds; nothing runs in the guest yet.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
        Some(())
    }
}

/// The VM: /dev/kvm, the VM descriptor and its memory.
pub struct Vm {
    kvm: OwnedFd,
    fd: OwnedFd,
    run_size: usize,
    pub mem: Arc<GuestMemory>,
}

impl Vm {
    /// Opens /dev/kvm and makes a VM with an in-kernel irqchip and
    /// `mem_size` bytes of memory at 0.
    pub fn new(mem_size: u64) -> io::Result<Vm> {
        let kvm: OwnedFd = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .map_err(|e| io::Error::new(e.kind(), format!("/dev/kvm: {e}")))?
            .into();
        let version = ioctl(&kvm, KVM_GET_API_VERSION, 0);
        if version != KVM_API_VERSION {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("/dev/kvm: KVM API version {version}, expected {KVM_API_VERSION}"),
            ));
        }
        for (cap, name) in [
            (KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"),
            (KVM_CAP_IRQFD, "KVM_CAP_IRQFD"),
            (KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"),
            (KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"),
        ] {
            if ioctl(&kvm, KVM_CHECK_EXTENSION, cap) <= 0 {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("/dev/kvm: the kernel lacks {name}"),
                ));
            }
        }
        let run_size = ioctl(&kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        if run_size <= 0 {
            return Err(err("KVM_GET_VCPU_MMAP_SIZE"));
        }
        let vm = ioctl(&kvm, KVM_CREATE_VM, 0);
        if vm < 0 {
            return Err(err("KVM_CREATE_VM"));
        }
        // SAFETY: a descriptor KVM just returned, owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(vm) };
        if ioctl(&kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0
            && ioctl(&fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0
        {
            return Err(err("KVM_SET_TSS_ADDR"));
        }
        if ioctl(&fd, KVM_CREATE_IRQCHIP, 0) < 0 {
            return Err(err("KVM_CREATE_IRQCHIP"));
        }
        let mem = GuestMemory::new(mem_size)?;
        let region = UserspaceMemoryRegion {
            slot: 0,
            flags: 0,
            guest_phys_addr: 0,
            memory_size: mem_size,
            userspace_addr: mem.host as u64,
        };
        if ioctl(&fd, KVM_SET_USER_MEMORY_REGION, &region as *const _ as u64) < 0 {
            return Err(err("KVM_SET_USER_MEMORY_REGION"));
        }
        Ok(Vm {
            kvm,
            fd,
            run_size: run_size as usize,
            mem: Arc::new(mem),
        })
    }

    /// Identity page tables for GiB 0, 1 and 3 (2 MiB pages; the device
    /// windows, IOAPIC and LAPIC uncached) and a GDT with the guest's code
    /// and data selectors: what long mode needs before the first
    /// instruction.
    pub fn write_boot_tables(&self) -> io::Result<()> {
        const P: u64 = 0x1;
        const RW: u64 = 0x2;
        const PWT: u64 = 0x8;
        const PCD: u64 = 0x10;
        const PS: u64 = 0x80;
        let oom = || io::Error::new(io::ErrorKind::InvalidInput, "guest memory too small");
        let pml4 = GUEST_PML4;
        let (pdpt, pd) = (pml4 + 0x1000, pml4 + 0x2000);
        let m = &self.mem;
        m.copy_in(pml4, &[0u8; 0x5000]).ok_or_else(oom)?;
        m.write(pml4, pdpt | P | RW).ok_or_else(oom)?;
        for (gib, table) in [(0u64, 0u64), (1, 1), (3, 2)] {
            let pd_gpa = pd + table * 0x1000;
            m.write(pdpt + gib * 8, pd_gpa | P | RW).ok_or_else(oom)?;
            let uncached = if gib == 3 { PCD | PWT } else { 0 };
            for i in 0..512u64 {
                let entry = ((gib << 30) + (i << 21)) | P | RW | PS | uncached;
                m.write(pd_gpa + i * 8, entry).ok_or_else(oom)?;
            }
        }
        // null, null, 64-bit code, data: the flat descriptors Linux's boot
        // GDT has at the same selectors.
        for (i, d) in [0u64, 0, 0x00af_9b00_0000_ffff, 0x00cf_9300_0000_ffff]
            .into_iter()
            .enumerate()
        {
            m.write(GUEST_GDT + i as u64 * 8, d).ok_or_else(oom)?;
        }
        Ok(())
    }

    /// Copies the flat guest image to GUEST_LOAD_ADDR after checking its
    /// header, and writes the boot information page.  The entry point.
    pub fn load_guest(&self, image: &[u8], ncpus: u32, flags: u32) -> io::Result<u64> {
        let bad = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
        if image.len() < 32 {
            return Err(bad(format!(
                "guest image: {} bytes, too short for its 32-byte header",
                image.len()
            )));
        }
        let word = |i: usize| u64::from_le_bytes(image[i * 8..i * 8 + 8].try_into().unwrap());
        let (magic, entry, file_size, mem_size) = (word(0), word(1), word(2), word(3));
        if magic != GUEST_IMAGE_MAGIC {
            return Err(bad("guest image: no \"SVMMGST1\" at offset 0".into()));
        }
        if file_size != image.len() as u64 {
            return Err(bad(format!(
                "guest image: header says {file_size} bytes, the image has {}",
                image.len()
            )));
        }
        if mem_size < file_size
            || entry < GUEST_LOAD_ADDR + 32
            || entry >= GUEST_LOAD_ADDR + file_size
        {
            return Err(bad(format!(
                "guest image: corrupt header (entry {entry:#x}, memory size {mem_size})"
            )));
        }
        if self.mem.ptr(GUEST_LOAD_ADDR, mem_size).is_none() {
            return Err(bad(format!(
                "guest image: needs {mem_size} bytes at {GUEST_LOAD_ADDR:#x}, more than guest memory"
            )));
        }
        self.mem.copy_in(GUEST_LOAD_ADDR, image).unwrap();
        // struct guest_boot_info: magic, flags, ncpus, bench_iterations,
        // mem_size, demo_device, reserved.
        let bi = GUEST_BOOT_INFO;
        let m = &self.mem;
        m.write(bi, GUEST_BOOT_MAGIC).unwrap();
        m.write(bi + 4, flags).unwrap();
        m.write(bi + 8, ncpus).unwrap();
        m.write(bi + 12, 0u32).unwrap();
        m.write(bi + 16, self.mem.size).unwrap();
        m.write(bi + 24, 0u64).unwrap();
        Ok(entry)
    }

    /// A new eventfd the guest's write to `addr` (4 bytes, any value)
    /// signals without an exit to user space.
    pub fn ioeventfd(&self, addr: u64) -> io::Result<OwnedFd> {
        let efd = eventfd()?;
        let io = Ioeventfd {
            datamatch: 0,
            addr,
            len: 4,
            fd: efd.as_raw_fd(),
            flags: 0,
            pad: [0; 36],
        };
        if ioctl(&self.fd, KVM_IOEVENTFD, &io as *const _ as u64) < 0 {
            return Err(err("KVM_IOEVENTFD"));
        }
        Ok(efd)
    }

    /// A new eventfd whose every write raises `gsi` in the in-kernel
    /// IOAPIC.
    pub fn irqfd(&self, gsi: u32) -> io::Result<OwnedFd> {
        let efd = eventfd()?;
        let irq = Irqfd {
            fd: efd.as_raw_fd() as u32,
            gsi,
            flags: 0,
            resamplefd: 0,
            pad: [0; 16],
        };
        if ioctl(&self.fd, KVM_IRQFD, &irq as *const _ as u64) < 0 {
            return Err(err("KVM_IRQFD"));
        }
        Ok(efd)
    }

    /// vCPU `id`, set up to enter the guest at `entry` in long mode with
    /// RDI = its index, RSI = the vCPU count and its own stack, runnable
    /// (application processors included: the sample guest needs no SIPI).
    pub fn create_vcpu(&self, id: u32, ncpus: u32, entry: u64) -> io::Result<Vcpu> {
        let what = |s: &str| format!("vcpu{id}: {s}");
        let raw = ioctl(&self.fd, KVM_CREATE_VCPU, id as u64);
        if raw < 0 {
            return Err(err(&what("KVM_CREATE_VCPU")));
        }
        // SAFETY: a descriptor KVM just returned.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: maps the vCPU's kvm_run area, of the size KVM gave.
        let run = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                self.run_size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if run == libc::MAP_FAILED {
            return Err(err(&what("mmap of kvm_run")));
        }
        let vcpu = Vcpu {
            id,
            fd,
            run: run.cast(),
        };

        let mut cpuid = Box::new(Cpuid {
            nent: CPUID_MAX_ENTRIES as u32,
            padding: 0,
            entries: [CpuidEntry::default(); CPUID_MAX_ENTRIES],
        });
        if ioctl(
            &self.kvm,
            KVM_GET_SUPPORTED_CPUID,
            &mut *cpuid as *mut _ as u64,
        ) < 0
        {
            return Err(err(&what("KVM_GET_SUPPORTED_CPUID")));
        }
        // Each vCPU reports its own APIC ID (leaf 1 EBX[31:24], leaves 0xb
        // and 0x1f EDX).
        for e in cpuid.entries.iter_mut().take(cpuid.nent as usize) {
            match e.function {
                1 => e.ebx = (e.ebx & 0x00ff_ffff) | (id << 24),
                0xb | 0x1f => e.edx = id,
                _ => {}
            }
        }
        if ioctl(&vcpu.fd, KVM_SET_CPUID2, &*cpuid as *const _ as u64) < 0 {
            return Err(err(&what("KVM_SET_CPUID2")));
        }

        // From KVM's reset state (APIC base, caches we leave alone).
        let mut sregs = Sregs::default();
        if ioctl(&vcpu.fd, KVM_GET_SREGS, &mut sregs as *mut _ as u64) < 0 {
            return Err(err(&what("KVM_GET_SREGS")));
        }
        let code = Segment {
            base: 0,
            limit: 0xffff_ffff,
            selector: GUEST_CODE_SEL,
            type_: 0xb,
            present: 1,
            s: 1,
            l: 1,
            g: 1,
            ..Segment::default()
        };
        let data = Segment {
            selector: GUEST_DATA_SEL,
            type_: 0x3,
            db: 1,
            l: 0,
            ..code
        };
        sregs.cs = code;
        (sregs.ds, sregs.es, sregs.fs, sregs.gs, sregs.ss) = (data, data, data, data, data);
        sregs.tr = Segment {
            limit: 0xffff,
            type_: 0xb,
            present: 1,
            ..Segment::default()
        };
        sregs.ldt = Segment {
            limit: 0xffff,
            type_: 0x2,
            present: 1,
            ..Segment::default()
        };
        sregs.gdt = Dtable {
            base: GUEST_GDT,
            limit: 4 * 8 - 1,
            padding: [0; 3],
        };
        sregs.idt = Dtable::default();
        sregs.cr0 = 0x1 | 0x8000_0000; // PE | PG
        sregs.cr3 = GUEST_PML4;
        sregs.cr4 = 0x20; // PAE
        sregs.efer = 0x100 | 0x400; // LME | LMA
        if ioctl(&vcpu.fd, KVM_SET_SREGS, &sregs as *const _ as u64) < 0 {
            return Err(err(&what("KVM_SET_SREGS")));
        }
        let regs = Regs {
            rflags: 0x2, // the reserved bit; interrupts off
            rip: entry,
            rdi: id as u64,
            rsi: ncpus as u64,
            rsp: GUEST_STACKS + (id as u64 + 1) * GUEST_STACK_SIZE - 8,
            ..Regs::default()
        };
        if ioctl(&vcpu.fd, KVM_SET_REGS, &regs as *const _ as u64) < 0 {
            return Err(err(&what("KVM_SET_REGS")));
        }
        // Application processors start UNINITIALIZED, waiting for a SIPI.
        if id != 0 {
            let mp: u32 = KVM_MP_STATE_RUNNABLE;
            if ioctl(&vcpu.fd, KVM_SET_MP_STATE, &mp as *const _ as u64) < 0 {
                return Err(err(&what("KVM_SET_MP_STATE")));
            }
        }
        Ok(vcpu)
    }
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: creates a descriptor; no memory involved.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(err("eventfd"));
    }
    // SAFETY: just created, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One exit of KVM_RUN that user space handles.
pub enum Exit<'a> {
    /// Port I/O: one access of data.len() bytes (`count` repeats come as
    /// repeated calls).
    Io {
        port: u16,
        out: bool,
        data: &'a mut [u8],
    },
    Mmio {
        addr: u64,
        write: bool,
        data: &'a mut [u8],
    },
    /// HLT, or a signal: nothing to do but run again.
    Again,
    /// The guest cannot go on: why.
    Fatal(String),
}

/// A vCPU: its descriptor and its kvm_run area.
pub struct Vcpu {
    pub id: u32,
    fd: OwnedFd,
    run: *mut u8,
}

// SAFETY: the kvm_run area belongs to this vCPU alone, and a Vcpu is used
// by one thread at a time (it moves into its thread).
unsafe impl Send for Vcpu {}

impl Vcpu {
    fn run_u8(&self, off: usize) -> u8 {
        // SAFETY: offsets within struct kvm_run (at least 0x130 bytes).
        unsafe { std::ptr::read_volatile(self.run.add(off)) }
    }

    fn run_u32(&self, off: usize) -> u32 {
        // SAFETY: as run_u8, aligned fields of struct kvm_run.
        unsafe { std::ptr::read_volatile(self.run.add(off).cast::<u32>()) }
    }

    fn run_u64(&self, off: usize) -> u64 {
        // SAFETY: as run_u32.
        unsafe { std::ptr::read_volatile(self.run.add(off).cast::<u64>()) }
    }

    /// Runs the guest until an exit, then calls `f` once per access it
    /// asks for (several for a `rep ins/outs`); `f` returns false to stop.
    /// Returns `Ok(false)` once `f` stopped, `Err` with why for an exit
    /// the guest cannot recover from.
    pub fn run(&mut self, mut f: impl FnMut(Exit<'_>) -> bool) -> Result<bool, String> {
        if ioctl(&self.fd, KVM_RUN, 0) < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EINTR) | Some(libc::EAGAIN) => Ok(f(Exit::Again)),
                _ => Err(format!("vcpu{}: KVM_RUN: {e}", self.id)),
            };
        }
        let reason = self.run_u32(8);
        match reason {
            KVM_EXIT_IO => {
                // struct kvm_run.io at 0x20: direction u8, size u8, port
                // u16, count u32, data_offset u64.
                let out = self.run_u8(0x20) == 1;
                let size = self.run_u8(0x21) as usize;
                let port = self.run_u32(0x20) >> 16;
                let count = self.run_u32(0x24) as usize;
                let offset = self.run_u64(0x28) as usize;
                for i in 0..count {
                    // SAFETY: KVM puts the data inside the kvm_run mapping.
                    let data = unsafe {
                        std::slice::from_raw_parts_mut(self.run.add(offset + i * size), size)
                    };
                    if !f(Exit::Io {
                        port: port as u16,
                        out,
                        data,
                    }) {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            KVM_EXIT_MMIO => {
                // struct kvm_run.mmio at 0x20: phys_addr u64, data[8], len
                // u32, is_write u8.
                let addr = self.run_u64(0x20);
                let len = (self.run_u32(0x30) as usize).min(8);
                let write = self.run_u8(0x34) != 0;
                // SAFETY: the 8 data bytes of kvm_run.mmio.
                let data = unsafe { std::slice::from_raw_parts_mut(self.run.add(0x28), len) };
                Ok(f(Exit::Mmio { addr, write, data }))
            }
            KVM_EXIT_HLT | KVM_EXIT_INTR => Ok(f(Exit::Again)),
            KVM_EXIT_SHUTDOWN => Ok(f(Exit::Fatal("the guest shut down (triple fault)".into()))),
            KVM_EXIT_FAIL_ENTRY => Ok(f(Exit::Fatal(format!(
                "KVM could not enter the guest (reason {:#x})",
                self.run_u64(0x20)
            )))),
            KVM_EXIT_INTERNAL_ERROR => Ok(f(Exit::Fatal(format!(
                "KVM internal error (suberror {})",
                self.run_u32(0x20)
            )))),
            KVM_EXIT_SYSTEM_EVENT => Ok(f(Exit::Fatal(
                "the guest asked for a shut-down or reset".into(),
            ))),
            other => Ok(f(Exit::Fatal(format!(
                "unexpected KVM exit reason {other}"
            )))),
        }
    }
}
