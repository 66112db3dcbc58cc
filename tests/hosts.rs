//! Hosts embedded in one process keep apart: each `Host` has its own broker redirect and its
//! own open connections, so two hosts running scripts side by side, on two threads, each reach
//! only their own broker.

#[allow(dead_code)]
mod support;

use std::thread;

use pymqtt::{BrokerAddress, ExitStatus, Host, Program};
use rumqttc::QoS;
use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::scripts::unique_id;

#[test]
fn two_hosts_on_two_threads_each_reach_only_their_own_broker() {
    let brokers = [Mosquitto::start(), Mosquitto::start()];
    let topic = unique_id("hosts");
    let mut peers: Vec<Peer> = brokers
        .iter()
        .map(|broker| {
            let mut peer = Peer::connect(broker.port(), &unique_id("peer"));
            peer.subscribe(&format!("{topic}/#"), QoS::AtLeastOnce);
            peer
        })
        .collect();

    // Both scripts name the same server; only their host's redirect tells them apart. Each
    // publishes several messages, so that the two interpreters run at the same time.
    let runs: Vec<_> = brokers
        .iter()
        .enumerate()
        .map(|(n, broker)| {
            let address = BrokerAddress::tcp("127.0.0.1", broker.port());
            let source = format!(
                "from umqtt.simple import MQTTClient\n\
                 c = MQTTClient('host-{n}', 'broker.example', keepalive=30)\n\
                 c.connect()\n\
                 for i in range(20):\n    c.publish(b'{topic}/{n}', b'host {n}', qos=1)\n\
                 c.disconnect()\n"
            );
            thread::spawn(move || {
                let host = Host::builder()
                    .argv(vec!["-c".into()])
                    .broker(address)
                    .build();
                host.run(&Program::Source(source))
            })
        })
        .collect();
    for run in runs {
        assert_eq!(run.join().expect("host thread"), ExitStatus::SUCCESS);
    }

    // Every publish was acknowledged before its script ended; a sentinel the peer publishes
    // now arrives after all of them, so what came before it is all that came.
    for (n, peer) in peers.iter_mut().enumerate() {
        peer.publish(&format!("{topic}/end"), "end", QoS::AtLeastOnce, false);
        let mut got = Vec::new();
        loop {
            let message = peer.expect_publish("the host's messages, then the sentinel");
            if message.topic == format!("{topic}/end") {
                break;
            }
            got.push((message.topic.clone(), text(&message)));
        }
        let expected = vec![(format!("{topic}/{n}"), format!("host {n}")); 20];
        assert_eq!(
            got, expected,
            "broker {n} saw other messages than its host's"
        );
    }
}

#[test]
fn every_host_in_a_process_has_micropythons_bytes_format() {
    // The built-in types belong to the process, so pymqtt adds `bytes.format` once; hosts
    // started after it, and alongside each other, all have it.
    let check = "import sys\n\
                 ok = b'home/{}/state'.format('hall') == b'home/hall/state'\n\
                 ok = ok and '{:s}'.format(b'ab') == 'ab' and '{}'.format(b'ab') == \"b'ab'\"\n\
                 sys.exit(0 if ok else 3)\n";
    let run = move || Host::builder().build().run(&Program::Source(check.into()));
    assert_eq!(run(), ExitStatus::SUCCESS);
    let threads: Vec<_> = (0..2).map(|_| thread::spawn(run)).collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), ExitStatus::SUCCESS);
    }
}
