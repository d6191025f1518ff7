import Domain
import JT808
import Testing

@testable import Gateway

/// Issue 17's commands as the platform messages the relay sends, laid out for the terminal's
/// edition, and their answers as they go on record.
@Suite struct CommandMessageTests {
    @Test func eachCommandIsItsPlatformMessage() {
        #expect(TerminalCommandRequest(command: .locate).message(version: .v2013) == .locateNow)
        #expect(TerminalCommandRequest(command: .attributes).message(version: .v2019) == .queryAttributes)
        #expect(TerminalCommandRequest(command: .queryParameters).message(version: .v2013) == .queryParameters)
        #expect(
            TerminalCommandRequest(command: .queryParameters, parameterIDs: [0x0029, 0x0055]).message(version: .v2013)
                == .querySpecificParameters([0x0029, 0x0055]))
        #expect(
            TerminalCommandRequest(command: .tracking, intervalSeconds: 5, validitySeconds: 600).message(version: .v2013)
                == .tracking(TrackingControl(intervalSeconds: 5, validitySeconds: 600)))
        // Named settings become the standard's ids, every one a DWORD; the address a STRING.
        let settings = TerminalSettingsRequest(
            reportIntervalSeconds: 10, sleepReportIntervalSeconds: 300, driverAbsentReportIntervalSeconds: 60, serverAddress: "fleet.example.cn",
            speedLimitKmh: 80, continuousDrivingLimitSeconds: 14_400)
        #expect(
            TerminalCommandRequest(command: .setParameters, settings: settings).message(version: .v2013)
                == .setParameters([
                    TerminalParameter(id: 0x0029, value: .dword(10)), TerminalParameter(id: 0x0027, value: .dword(300)),
                    TerminalParameter(id: 0x0022, value: .dword(60)), TerminalParameter(id: 0x0055, value: .dword(80)),
                    TerminalParameter(id: 0x0057, value: .dword(14_400)), TerminalParameter(id: 0x0013, value: .string("fleet.example.cn")),
                ]))
        guard case .camera(let camera) = TerminalCommandRequest(command: .photo, channel: 2).message(version: .v2019) else {
            Issue.record("a photo is not 0x8801")
            return
        }
        #expect(camera.channel == 2 && camera.command == 1 && camera.saveFlag == 0, "one photo, uploaded at once")
        #expect(
            TerminalCommandRequest(command: .confirmAlarm, alarmSerial: 42, alarms: 0x8).message(version: .v2013)
                == .alarmConfirmation(AlarmConfirmation(alarmSerial: 42, alarms: .dangerWarning)))
    }

    /// Only what table 24 has the platform confirm can be confirmed; the serial is a WORD.
    @Test func anAlarmConfirmationNamesConfirmableBitsOnly() throws {
        let gbk: (String) -> Int = { $0.utf8.count }
        let sos = TerminalCommandRequest(command: .confirmAlarm, alarms: Int(AlarmFlags.emergency.union(.illegalDisplacement).rawValue))
        #expect(throws: Never.self) { try sos.validated(encodedLength: gbk) }
        for (serial, bits, field) in [
            (nil, Int(AlarmFlags.overspeed.rawValue), "alarms"), (nil, nil, "alarms"), (nil, 0, "alarms"), (nil, Int.max, "alarms"),
            (65_536, 1, "alarmSerial"), (Int.min, 1, "alarmSerial"),
        ] as [(Int?, Int?, String)] {
            let request = TerminalCommandRequest(command: .confirmAlarm, alarmSerial: serial, alarms: bits)
            #expect(throws: Refused.self) { try request.validated(encodedLength: gbk) }
            do { _ = try request.validated(encodedLength: gbk) } catch { #expect(error.field == field) }
        }
    }

    /// JT/T 808-2013 marks an urgent text with bit 0; 2019 gives bits 0-1 the text's kind (1
    /// service, 2 urgent) and adds a type byte.
    @Test func aTextsFlagsFollowTheTerminalsEdition() {
        let urgent = TerminalCommandRequest(command: .text, text: "请回场", tts: true, urgent: true)
        #expect(urgent.message(version: .v2013) == .text(TextMessage(flags: [.emergency, .display, .textToSpeech], text: "请回场")))
        #expect(urgent.message(version: .v2019) == .text(TextMessage(flags: TextMessage.Flags(rawValue: 0b1110), textType: 1, text: "请回场")))
        let plain = TerminalCommandRequest(command: .text, text: "明早七点出车")
        #expect(plain.message(version: .v2013) == .text(TextMessage(flags: [.display], text: "明早七点出车")))
        #expect(plain.message(version: .v2019) == .text(TextMessage(flags: TextMessage.Flags(rawValue: 0b0101), textType: 1, text: "明早七点出车")))
        #expect(
            TerminalCommandRequest(command: .text, text: "x", display: false, tts: true).message(version: .v2013)
                == .text(TextMessage(flags: [.textToSpeech], text: "x")))
    }

    @Test func answersGoOnRecordAsDecodedWithParametersByName() {
        let reply = ParameterReply(
            replySerial: 7,
            parameters: [
                TerminalParameter(id: 0x0029, value: .dword(10)), TerminalParameter(id: 0x0013, value: .string("fleet.example.cn")),
                TerminalParameter(id: 0x0030, value: .dword(30)),
            ])
        #expect(
            CommandRelay.json(.parameterReply(reply))
                == #"{"msgId":"0x0104","body":{"replySerial":7,"count":3,"parameters":{"0x0029":10,"0x0013":"fleet.example.cn","0x0030":30}},"settings":{"reportIntervalSeconds":10,"serverAddress":"fleet.example.cn"}}"#
        )
        #expect(CommandRelay.resultCode(.parameterReply(reply)) == 0)
        // The SIM's dial-up accounts never go on record.
        let accounts = ParameterReply(
            replySerial: 8,
            parameters: [
                TerminalParameter(id: 0x0010, value: .string("CMNET")), TerminalParameter(id: 0x0011, value: .string("fleet")),
                TerminalParameter(id: 0x0012, value: .string("s3cret")), TerminalParameter(id: 0x0016, value: .string("b4ckup")),
            ])
        let recorded = CommandRelay.json(.parameterReply(accounts))
        #expect(recorded.contains(#""0x0010":"CMNET""#) && recorded.contains(#""0x0012":"(hidden)""#))
        #expect(!recorded.contains("s3cret") && !recorded.contains("b4ckup") && !recorded.contains(#""fleet""#))
        let refused = Message.terminalResponse(GeneralResponse(replySerial: 7, replyID: 0x8103, result: .failure))
        #expect(CommandRelay.resultCode(refused) == 1)
        #expect(CommandRelay.json(refused) == #"{"msgId":"0x0001","body":{"replySerial":7,"replyId":"0x8103","result":1}}"#)
    }
}
