; Inno Setup 6 script for DRS Console: a per-user install (no admin rights) with a Start-menu entry.
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=build\dist\drs-console /DOutputDir=build\dist\installers ^
;        /DRepoRoot=. packaging\windows\drs-console.iss
;
; packaging/build.py --installer passes these. SourceDir is the PyInstaller one-folder bundle, with
; drs-console.exe (windowed) and drs-console-cli.exe (console, for the CLI and scripts).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef RepoRoot
  #define RepoRoot "..\.."
#endif
#ifndef SourceDir
  #define SourceDir RepoRoot + "\build\dist\drs-console"
#endif
#ifndef OutputDir
  #define OutputDir RepoRoot + "\build\dist\installers"
#endif

#define AppName "DRS Console"
#define AppExe "drs-console.exe"
#define CliExe "drs-console-cli.exe"

[Setup]
; never change AppId: upgrades and the uninstaller find the installed app by it
AppId={{5B0E4C1A-7F3D-4D6B-9C1E-2A8F6D3B7E91}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=DRS Console contributors
VersionInfoVersion={#AppVersion}
; per user, no UAC prompt: {autopf} is %LOCALAPPDATA%\Programs with lowest privileges
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=drs-console-{#AppVersion}-windows-x64-setup
SetupIconFile={#RepoRoot}\resources\icons\drs-console.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add drs-console-cli to my PATH (for the command line)"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; a new version replaces the old bundle's files completely
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\{#AppName} (sandbox)"; Filename: "{app}\{#AppExe}"; Parameters: "--sandbox"; WorkingDir: "{app}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; \
    ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;
