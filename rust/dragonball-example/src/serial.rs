//! A 16550 UART at COM1 (0x3f8), transmit only: enough for the guest's
//! output and for the probe Linux's 8250 driver (and the sample guest)
//! makes in loopback mode.

use std::io::Write;

const LCR_DLAB: u8 = 0x80;
const MCR_LOOP: u8 = 0x10;
const LSR_THRE_TEMT: u8 = 0x60;
const MSR_DCD_DSR_CTS: u8 = 0xb0;
const IIR_NONE: u8 = 0x01;
/// What GET /vm shows of the output at most (the tail is kept).
const KEEP: usize = 64 * 1024;

#[derive(Default)]
pub struct Serial {
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    line: Vec<u8>,
    output: Vec<u8>,
    echo: bool,
}

impl Serial {
    /// `echo`: also copy each line to stdout as it completes.
    pub fn new(echo: bool) -> Serial {
        Serial {
            mcr: 0x08, // OUT2
            echo,
            ..Serial::default()
        }
    }

    /// The output so far (its last 64 KiB), the line being written
    /// included.
    pub fn output(&self) -> String {
        let mut all = self.output.clone();
        all.extend_from_slice(&self.line);
        String::from_utf8_lossy(&all).into_owned()
    }

    fn transmit(&mut self, c: u8) {
        self.line.push(c);
        if c == b'\n' || self.line.len() >= 256 {
            if self.echo {
                // A closed stdout loses the text but never stops the guest.
                let _ = std::io::stdout().write_all(&self.line);
            }
            self.output.extend_from_slice(&self.line);
            self.line.clear();
            if self.output.len() > KEEP {
                let cut = self.output.len() - KEEP;
                self.output.drain(..cut);
            }
        }
    }

    /// One byte at `offset` (0-7) from the base port.
    pub fn io(&mut self, offset: u16, write: bool, data: &mut u8) {
        let dlab = self.lcr & LCR_DLAB != 0;
        if write {
            match offset {
                0 if dlab => self.dll = *data,
                0 => self.transmit(*data),
                1 if dlab => self.dlm = *data,
                1 => self.ier = *data & 0x0f,
                3 => self.lcr = *data,
                4 => self.mcr = *data & 0x1f,
                7 => self.scr = *data,
                _ => {} // FCR, LSR, MSR
            }
        } else {
            *data = match offset {
                0 if dlab => self.dll,
                0 => 0,
                1 if dlab => self.dlm,
                1 => self.ier,
                2 => IIR_NONE,
                3 => self.lcr,
                4 => self.mcr,
                5 => LSR_THRE_TEMT,
                6 if self.mcr & MCR_LOOP != 0 => loopback_msr(self.mcr),
                6 => MSR_DCD_DSR_CTS,
                _ => self.scr,
            };
        }
    }
}

/// In loopback mode the modem inputs mirror the outputs: DTR->DSR,
/// RTS->CTS, OUT1->RI, OUT2->DCD.
fn loopback_msr(mcr: u8) -> u8 {
    ((mcr & 0x1) << 5) | ((mcr & 0x2) << 3) | ((mcr & 0x4) << 4) | ((mcr & 0x8) << 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_probe_and_output() {
        let mut s = Serial::new(false);
        let mut b = 0x1a; // RTS, OUT2, loopback
        s.io(4, true, &mut b);
        s.io(6, false, &mut b);
        assert_eq!(b & 0xf0, 0x90, "CTS | DCD back in loopback");
        s.io(5, false, &mut b);
        assert_eq!(b & 0x60, 0x60);
        for c in b"hi\nthere" {
            let mut c = *c;
            s.io(0, true, &mut c);
        }
        assert_eq!(s.output(), "hi\nthere");
    }
}
