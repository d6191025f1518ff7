"""A JT/T 808-2013 terminal in a few lines, for the browser tests: it registers and authenticates
with the demo's gateway, reports where it is, and answers a camera command (0x8801) with a photo
(0x0805, then the picture in 0x0801), which the demo's simulated cars do not take."""

import socket
import struct
import threading
import time
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def _frame(message_id, phone, serial, body):
    content = struct.pack(">HH", message_id, len(body)) + bytes.fromhex(phone.rjust(12, "0")) + struct.pack(">H", serial) + body
    check = 0
    for byte in content:
        check ^= byte
    raw = content + bytes([check])
    return b"\x7e" + raw.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02") + b"\x7e"


def _unescape(data):
    # Every 0x7d in an escaped frame starts an escape: 0x7d02 first cannot eat a 0x7d01's tail.
    return data.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")


class Terminal:
    """`Terminal(host, port, phone, terminal_id, plate, position=(lat, lon), photo=jpeg_bytes)`:
    `start()` connects and authenticates (raises if the gateway refuses), then answers in a
    thread until `close()`. `photos` lists the media ids it uploaded."""

    def __init__(self, host, port, phone, terminal_id, plate, position, photo):
        self.address, self.phone, self.terminal_id, self.plate = (host, port), phone, terminal_id, plate
        self.position, self.photo = position, photo
        self.serial = 0
        self.photos = []
        self.sock = None
        self.lock = threading.Lock()
        self.frames = []
        self.buffer = b""
        self.closed = threading.Event()

    def send(self, message_id, body):
        with self.lock:
            self.serial = (self.serial + 1) & 0xFFFF
            self.sock.sendall(_frame(message_id, self.phone, self.serial, body))

    def receive(self, timeout=20):
        """The next platform message: (id, serial, body)."""
        deadline = time.monotonic() + timeout
        while not self.frames:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the gateway closed the connection")
            self.buffer += chunk
            *complete, self.buffer = self.buffer.split(b"\x7e")
            self.frames += [_unescape(piece) for piece in complete if piece]
        raw = self.frames.pop(0)
        message_id, properties = struct.unpack(">HH", raw[:4])
        serial = struct.unpack(">H", raw[10:12])[0]
        start = 16 if properties & 0x2000 else 12
        return message_id, serial, raw[start:start + (properties & 0x3FF)]

    def expect(self, message_id):
        while True:
            got, serial, body = self.receive()
            if got == message_id:
                return serial, body

    def location(self):
        lat, lon = self.position
        now = datetime.now(CHINA).strftime("%y%m%d%H%M%S")
        # Status: ACC on, positioned; then latitude, longitude, altitude, speed, course, BCD time.
        return struct.pack(">IIIIHHH", 0, 0b11, round(lat * 1e6), round(lon * 1e6), 10, 0, 0) + bytes.fromhex(now)

    def start(self):
        self.sock = socket.create_connection(self.address, timeout=20)
        plate = self.plate.encode("gbk")
        self.send(0x0100, struct.pack(">HH", 33, 200) + b"DESK\0" + b"BROWSER-TEST".ljust(20, b"\0")
                  + self.terminal_id.encode().ljust(7, b"\0") + bytes([1]) + plate)
        _, body = self.expect(0x8100)
        if body[2] != 0:
            raise ConnectionError(f"registration refused with result {body[2]}")
        self.send(0x0102, body[3:])
        _, body = self.expect(0x8001)
        if body[4] != 0:
            raise ConnectionError(f"authentication refused with result {body[4]}")
        self.send(0x0200, self.location())
        threading.Thread(target=self.serve, daemon=True).start()
        threading.Thread(target=self.report, daemon=True).start()
        return self

    def report(self):
        while not self.closed.wait(5):
            try:
                self.send(0x0200, self.location())
            except OSError:
                return

    def serve(self):
        while not self.closed.is_set():
            try:
                message_id, serial, body = self.receive(timeout=3600)
            except (OSError, ConnectionError):
                return
            if message_id == 0x8801:
                media_id = 9000 + len(self.photos) + 1
                self.send(0x0805, struct.pack(">HBHI", serial, 0, 1, media_id))
                # Media id, image, JPEG, taken because the platform asked, its channel; where; the bytes.
                self.send(0x0801, struct.pack(">IBBBB", media_id, 0, 0, 0, body[0]) + self.location() + self.photo)
                self.photos.append(media_id)
            elif message_id == 0x8201:
                self.send(0x0201, struct.pack(">H", serial) + self.location())
            elif message_id not in (0x8001, 0x8800):
                # Anything else: "not supported", as a terminal without the feature says.
                self.send(0x0001, struct.pack(">HHB", serial, message_id, 3))

    def close(self):
        self.closed.set()
        if self.sock:
            self.sock.close()
