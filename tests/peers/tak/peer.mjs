// An independent TAK client for ncc's integration tests (tests/integration/test_tak_hub.py).
// Every message it sends is built by @tak-ps/node-cot and every message it receives is parsed
// by it: XML CoT, or TAK protocol v1 (0xbf <varint length> <TakMessage>) once negotiated.
//
// Driven by JSON lines on stdin; reports JSON lines on stdout:
//   {"op":"connect","port":P,"key":"ncc_ak_..."}       -> {"connected":true}
//   {"op":"position","uid","callsign","lat","lon"}     a device's own report (a-f-G-U-C, m-g)
//   {"op":"marker","uid","type","callsign","lat","lon","link"?,"remarks"?}  placed by hand
//   {"op":"chat","from":{uid,callsign},"to":{uid,callsign},"chatroom","message","direct"?}
//   {"op":"xml","xml":"<event ...>"}                    a recording, parsed by node-cot first
//   {"op":"negotiate"}                                  TAK protocol v1, as ATAK asks for it
//   {"op":"raw","hex":"bf05..."}                        bytes as they are (hostile input)
//   {"op":"close"}
// Out: {"event":{uid,type,how,callsign,chatroom,remarks,lat,lon,links},"proto":bool} for each
// message received, {"negotiated":bool}, {"error":"ncc-error ..."}, {"closed":true},
// {"fail":"..."} when node-cot cannot parse what ncc sent.
import net from 'node:net';
import readline from 'node:readline';
import { randomUUID } from 'node:crypto';
import { CoTParser, DirectChat } from '@tak-ps/node-cot';

let sock = null;
let proto = false;
let pending = Buffer.alloc(0);
let awaitingResponse = null;

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function summary(cot) {
    const e = cot.raw.event;
    const a = e._attributes;
    const d = e.detail || {};
    const attr = (node, name) => (node && node._attributes ? node._attributes[name] : undefined);
    const links = [].concat(d.link || []).map((l) => attr(l, 'uid'));
    return {
        uid: a.uid, type: a.type, how: a.how, stale: a.stale,
        callsign: attr(d.contact, 'callsign'),
        group: attr(d.__group, 'name'),
        chatroom: attr(d.__chat, 'chatroom'),
        remarks: d.remarks ? d.remarks._text : undefined,
        lat: e.point ? Number(e.point._attributes.lat) : undefined,
        lon: e.point ? Number(e.point._attributes.lon) : undefined,
        takControl: d.TakControl ? Object.keys(d.TakControl) : undefined,
        links,
    };
}

async function received(cot, viaProto) {
    const s = summary(cot);
    if (s.type === 't-x-takp-r' && awaitingResponse) {
        const ok = cot.raw.event.detail.TakControl.TakResponse._attributes.status.toString() === 'true';
        proto = ok;  // the bytes after this response are v1 already
        awaitingResponse(ok);
        awaitingResponse = null;
    }
    out({ event: s, proto: viaProto });
}

function readVarint(buf, at) {
    let value = 0, shift = 0;
    for (let i = at; i < buf.length && i < at + 10; ++i) {
        value += (buf[i] & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(buf[i] & 0x80)) return { value, next: i + 1 };
    }
    return null;
}

async function drain() {
    for (;;) {
        if (proto) {
            if (pending.length === 0) return;
            if (pending[0] !== 0xbf) {
                const line = pending.toString('utf8');
                if (line.startsWith('ncc-error') && line.includes('\n')) {
                    out({ error: line.slice(0, line.indexOf('\n')) });
                    pending = pending.subarray(line.indexOf('\n') + 1);
                    continue;
                }
                if (line.startsWith('ncc-error')) return;
                out({ fail: 'not a TAK protocol message: ' + pending.subarray(0, 16).toString('hex') });
                pending = Buffer.alloc(0);
                return;
            }
            const len = readVarint(pending, 1);
            if (!len || pending.length < len.next + len.value) return;
            const payload = pending.subarray(len.next, len.next + len.value);
            pending = pending.subarray(len.next + len.value);
            try {
                await received(await CoTParser.from_proto(payload), true);
            } catch (err) {
                out({ fail: 'node-cot cannot read a v1 message: ' + err.message });
            }
            continue;
        }
        const text = pending.toString('utf8');
        const lead = text.length - text.trimStart().length;
        const body = text.slice(lead);
        if (body.startsWith('ncc-error')) {
            const nl = body.indexOf('\n');
            if (nl < 0) return;
            out({ error: body.slice(0, nl) });
            pending = Buffer.from(body.slice(nl + 1), 'utf8');
            continue;
        }
        const end = body.indexOf('</event>');
        if (end < 0) return;
        const doc = body.slice(0, end + 8);
        pending = Buffer.from(body.slice(end + 8), 'utf8');
        try {
            await received(CoTParser.from_xml(doc), false);
        } catch (err) {
            out({ fail: 'node-cot cannot read: ' + err.message + ': ' + doc.slice(0, 200) });
        }
    }
}

let draining = Promise.resolve();
async function send(cot) {
    if (proto) {
        const payload = Buffer.from(await CoTParser.to_proto(cot));
        const header = [0xbf];
        let n = payload.length;
        do {
            let b = n & 0x7f;
            n = Math.floor(n / 128);
            if (n) b |= 0x80;
            header.push(b);
        } while (n);
        sock.write(Buffer.concat([Buffer.from(header), payload]));
    } else {
        sock.write(CoTParser.to_xml(cot));
    }
}

const now = () => new Date();
const later = (ms) => new Date(Date.now() + ms);

function event(attrs, point, detail) {
    return CoTParser.from_xml(
        `<event version="2.0" uid="${attrs.uid}" type="${attrs.type}" how="${attrs.how}" ` +
        `time="${now().toISOString()}" start="${now().toISOString()}" stale="${later(120000).toISOString()}">` +
        `<point lat="${point.lat}" lon="${point.lon}" hae="9999999.0" ce="9999999.0" le="9999999.0"/>` +
        `<detail>${detail}</detail></event>`);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

async function handle(cmd) {
    switch (cmd.op) {
    case 'connect':
        sock = net.createConnection({ host: '127.0.0.1', port: cmd.port });
        sock.write(`ncc-key ${cmd.key}\n`);  // queued first: before anything sent later
        await new Promise((resolve) => sock.once('connect', resolve));
        out({ connected: true });
        sock.on('data', (chunk) => {
            pending = Buffer.concat([pending, chunk]);
            draining = draining.then(drain);
        });
        sock.on('close', () => draining.then(() => out({ closed: true })));
        sock.on('error', () => {});
        return;
    case 'position': {
        const feature = {
            type: 'Feature', id: cmd.uid, path: '/',
            properties: { type: 'a-f-G-U-C', how: 'm-g', callsign: cmd.callsign,
                          time: now().toISOString(), start: now().toISOString(),
                          stale: later(120000).toISOString(), speed: 3, course: 90,
                          group: { name: 'Cyan', role: 'Team Member' } },
            geometry: { type: 'Point', coordinates: [cmd.lon, cmd.lat] },
        };
        return send(await CoTParser.from_geojson(feature));
    }
    case 'marker': {
        const link = cmd.link ? `<link uid="${esc(cmd.link)}" relation="p-p" type="b-m-p-s-p-i"/>` : '';
        const remarks = cmd.remarks ? `<remarks>${esc(cmd.remarks)}</remarks>` : '';
        return send(event({ uid: cmd.uid, type: cmd.type, how: 'h-g-i-g-o' }, cmd,
            `<contact callsign="${esc(cmd.callsign)}"/>${link}${remarks}`));
    }
    case 'chat': {
        const chat = new DirectChat({ to: cmd.to, from: cmd.from, message: cmd.message,
                                      chatroom: cmd.chatroom, id: cmd.to.uid });
        if (!cmd.direct && chat.raw.event.detail.marti) delete chat.raw.event.detail.marti;
        return send(chat);
    }
    case 'xml':
        return send(CoTParser.from_xml(cmd.xml));
    case 'raw':
        sock.write(Buffer.from(cmd.hex, 'hex'));
        return;
    case 'negotiate': {
        const answer = new Promise((resolve) => { awaitingResponse = resolve; });
        // The request, then nothing more in XML (step 6): v1 from the response on.
        sock.write(CoTParser.to_xml(event({ uid: 'protouid-' + randomUUID(), type: 't-x-takp-q', how: 'm-g' },
            { lat: 0, lon: 0 }, '<TakControl><TakRequest version="1"/></TakControl>')));
        out({ negotiated: await answer });
        return;
    }
    case 'close':
        sock.end();
        return;
    default:
        out({ fail: 'unknown op ' + cmd.op });
    }
}

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
    queue = queue.then(() => handle(JSON.parse(line))).catch((err) => out({ fail: String(err.stack || err) }));
});
rl.on('close', () => queue.then(() => { if (sock) sock.destroy(); process.exit(0); }));
